/**
 * Which APIs one Emitter serves: core/v1 Services and Endpoints and
 * discovery.k8s.io/v1 EndpointSlices always; the Multi-Cluster Services
 * API's ServiceExports (`multicluster.x-k8s.io`) exactly when the
 * Emitter's own cluster serves them, and then in the one version found
 * there (`servedMcsVersion`: v1beta1 preferred, else v1alpha1).
 *
 * Invariants: the answer is decided at most once, and never changes after
 * (a CRD installed or removed later is seen by the Emitter's next run).
 * While it is undecided, whether the MCS group is served is not known: the
 * handler answers its paths 503 rather than 404, so that a client asking
 * then (a Reflector's discovery of its source) retries instead of taking
 * the group as absent.
 *
 * @module
 */

import type { McsVersion } from "../mcs/api.ts";
import { type ServedResource, servedResources, serviceExportsResource } from "./routes.ts";

/** Options of {@linkcode ServedApis}. */
export interface ServedApisOptions {
  /** The version of ServiceExports served; omitted: none. Ignored when `undecided`. */
  serviceExports?: McsVersion;
  /** Whether the MCS part is still to be found out with {@linkcode ServedApis.decide}. Defaults to false. */
  undecided?: boolean;
}

/** The resources one Emitter serves, and the version of ServiceExports among them. */
export class ServedApis {
  #decided = false;
  #serviceExports: McsVersion | undefined;
  /** The always-served resources, then ServiceExports once decided served. */
  #resources: readonly ServedResource[] = Object.values(servedResources);

  /** Creates the set; by default decided, without ServiceExports. */
  constructor(options: ServedApisOptions = {}) {
    if (!options.undecided) this.decide(options.serviceExports);
  }

  /** Whether {@linkcode ServedApis.decide} ran: until then ServiceExports are neither served nor known absent. */
  get decided(): boolean {
    return this.#decided;
  }

  /** The version ServiceExports are served in; undefined when none are (or not decided yet). */
  get serviceExports(): McsVersion | undefined {
    return this.#serviceExports;
  }

  /** The served resources, the always-served ones first. */
  get resources(): readonly ServedResource[] {
    return this.#resources;
  }

  /**
   * Records whether ServiceExports are served, and in which version.
   *
   * @throws {Error} When already decided: the set never changes during a run.
   */
  decide(serviceExports: McsVersion | undefined): void {
    if (this.#decided) {
      throw new Error(
        "Cannot decide the served APIs as they are decided already: they never change during a run",
      );
    }
    this.#decided = true;
    this.#serviceExports = serviceExports;
    if (serviceExports) {
      this.#resources = [...this.#resources, serviceExportsResource(serviceExports)];
    }
  }
}
