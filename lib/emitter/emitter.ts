/**
 * An Emitter: informers on its own cluster's Services, Endpoints and
 * EndpointSlices (and ServiceExports, where the cluster serves them) feed
 * a {@linkcode View}; a {@linkcode WatchHub} fans the view's changes out
 * to watchers; {@linkcode Emitter.handler} answers requests. Mount the
 * handler with `serve.ts`, run {@linkcode Emitter.run} once, until
 * shutdown.
 *
 * Whether ServiceExports are served is found when the run starts, from the
 * cluster's discovery (`servedMcsVersion`), retried with backoff until the
 * cluster answers, while the other informers already list. The Emitter is
 * ready once every informer it runs has synced.
 *
 * @module
 */

import type { Endpoints, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import type { Clock } from "../clock.ts";
import { Backoff } from "../kube/backoff.ts";
import { Informer, type InformerPhase } from "../kube/informer.ts";
import type { LabelSelector } from "../kube/label_selector.ts";
import { type KubeObject, objectKey, sliceServiceKeys } from "../kube/object.ts";
import { endpoints, endpointSlices, type ResourceType, services } from "../kube/resource.ts";
import type { RestClient } from "../kube/rest.ts";
import { mcsGroup, type McsVersion, type ServiceExport, serviceExports } from "../mcs/api.ts";
import { reviewAccess } from "../kube/access_review.ts";
import { servedMcsVersion } from "../mcs/served_version.ts";
import { createHandler, type Verb } from "./handler.ts";
import { ServedApis } from "./served_apis.ts";
import { type TableKinds, toTable } from "./table.ts";
import { sliceServiceIndex, type Upstream, View } from "./view.ts";
import { WatchHub, type WatchHubOptions } from "./watch.ts";

/** Options of {@linkcode Emitter}. */
export interface EmitterOptions extends Omit<WatchHubOptions, "renderTable"> {
  /** Client of the Emitter's own cluster. */
  rest: RestClient;
  /** Services to export (`--emitter.selector`); the empty selector exports all. */
  selector: LabelSelector;
  /** Only this namespace (`--namespace`); omitted for all. */
  namespace?: string;
  /** Events kept per resource for watch replay. Defaults to 1000. */
  historySize?: number;
  /** Time source. */
  clock?: Clock;
  /** Decides whether a request may read; omitted: everyone may. */
  authenticate?: (request: Request) => boolean | Promise<boolean>;
  /**
   * Upstream failures: of a list or watch (the informers recover by
   * themselves), or of the discovery of ServiceExports (`resource`
   * `serviceexports`, phase `discovery`; retried with backoff).
   */
  onUpstreamError?: (
    error: unknown,
    resource: string,
    phase: InformerPhase | "discovery",
  ) => void;
  /** Unexpected handler errors. */
  onError?: (error: unknown) => void;
  /** One call per request. */
  onRequest?: (verb: Verb, code: number) => void;
}

/** The Emitter of one cluster. */
export class Emitter {
  /** The HTTP API; see `handler.ts`. */
  readonly handler: (request: Request) => Promise<Response>;
  readonly #options: EmitterOptions;
  readonly #view: View;
  readonly #hub: WatchHub;
  /** Undecided until the run's discovery answered whether ServiceExports are served. */
  readonly #apis = new ServedApis({ undecided: true });
  /** The view's caches; `serviceExports` is set once they are found served. */
  readonly #upstream: Upstream;
  readonly #informers: {
    services: Informer<Service>;
    endpoints: Informer<Endpoints>;
    endpointSlices: Informer<EndpointSlice>;
  };

  /** Creates the Emitter; nothing is read before {@linkcode Emitter.run}. */
  constructor(options: EmitterOptions) {
    this.#options = options;
    this.#informers = {
      services: this.#inform<Service>(services),
      endpoints: this.#inform<Endpoints>(endpoints),
      endpointSlices: this.#inform<EndpointSlice>(endpointSlices, {
        indexers: { [sliceServiceIndex]: sliceServiceKeys },
      }),
    };
    this.#upstream = {
      services: this.#informers.services.store,
      endpoints: this.#informers.endpoints.store,
      endpointSlices: this.#informers.endpointSlices.store,
    };
    this.#view = new View(this.#upstream, {
      selectsService: (service) => options.selector.matches(service.metadata?.labels ?? {}),
      ...(options.historySize ? { historySize: options.historySize } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    const renderTable = (
      resource: { objectKind: keyof TableKinds },
      objects: KubeObject[],
      resourceVersion: string,
    ) =>
      toTable(resource.objectKind, objects as TableKinds[keyof TableKinds][], { resourceVersion });
    this.#hub = new WatchHub(this.#view, { ...options, renderTable });
    this.#wire();
    this.handler = createHandler({
      view: this.#view,
      hub: this.#hub,
      apis: this.#apis,
      ready: () => this.#view.started,
      renderTable,
      ...(options.authenticate ? { authenticate: options.authenticate } : {}),
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
      ...(options.onError ? { onError: options.onError } : {}),
    });
  }

  /** Whether the caches synced and requests are served. */
  get ready(): boolean {
    return this.#view.started;
  }

  /** The served view's resourceVersion. */
  get resourceVersion(): number {
    return this.#view.resourceVersion;
  }

  /** Open watches. */
  get watchers(): number {
    return this.#hub.size;
  }

  /** The version ServiceExports are served in; undefined when none are (or before the run found out). */
  get serviceExportsVersion(): McsVersion | undefined {
    return this.#apis.serviceExports;
  }

  /** Runs the informers until `signal` aborts, then ends every watch. Call once. */
  async run(signal: AbortSignal): Promise<void> {
    const { services, endpoints, endpointSlices } = this.#informers;
    const always = [services, endpoints, endpointSlices];
    const exports = this.#informServiceExports(signal);
    const running = [
      ...always.map((informer) => informer.run(signal)),
      exports.then((informer) => informer?.run(signal)),
    ];
    try {
      await Promise.all([
        ...always.map((informer) => informer.synced(signal)),
        exports.then((informer) => informer?.synced(signal)),
      ]);
      if (!signal.aborted) this.#view.start();
    } catch {
      // Aborted before the caches synced.
    }
    await Promise.all(running);
    this.#hub.close();
  }

  /** An informer of `type` in the Emitter's scope, reporting to `onUpstreamError`. */
  #inform<T extends KubeObject>(type: ResourceType, extra: object = {}): Informer<T> {
    const options = this.#options;
    return new Informer<T>(options.rest, {
      type,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      ...extra,
      ...(options.clock ? { clock: options.clock } : {}),
      onError: (error, phase) => options.onUpstreamError?.(error, type.resource, phase),
    });
  }

  /**
   * Decides whether ServiceExports are served; when they are, their
   * informer, its store the view's and its changes wired to it. Undefined
   * when the cluster serves none, or `signal` aborted first (then nothing
   * is decided).
   */
  async #informServiceExports(signal: AbortSignal): Promise<Informer<ServiceExport> | undefined> {
    const version = await this.#discoverServiceExports(signal);
    if (signal.aborted) return undefined;
    this.#apis.decide(version);
    if (!version) return undefined;
    const informer = this.#inform<ServiceExport>(serviceExports(version));
    this.#upstream.serviceExports = informer.store;
    on(informer, (key) => this.#view.serviceExportChanged(key));
    return informer;
  }

  /** The version of ServiceExports the cluster serves, asked until it answers; undefined on abort too. */
  /**
   * Whether the Emitter may list and watch ServiceExports of `version` in
   * its scope (an install of the mirror dialect's manifests on a cluster
   * that has the CRDs may not): when it may not, they are not served, and
   * that is told once, rather than an informer refused forever keeping
   * the Emitter from being ready.
   */
  async #mayRead(version: McsVersion, signal: AbortSignal): Promise<boolean> {
    const { rest, namespace } = this.#options;
    for (const verb of ["list", "watch"]) {
      const decision = await reviewAccess(rest, {
        verb,
        group: mcsGroup,
        resource: "serviceexports",
        ...(namespace ? { namespace } : {}),
      }, { signal });
      if (!decision.allowed) {
        this.#options.onUpstreamError?.(
          new Error(
            `ServiceExports (${mcsGroup}/${version}) are served by the cluster, but this Emitter may not ${verb} them: they are not served (grant list and watch of serviceexports to serve them)`,
          ),
          "serviceexports",
          "discovery",
        );
        return false;
      }
    }
    return true;
  }

  async #discoverServiceExports(signal: AbortSignal): Promise<McsVersion | undefined> {
    const { rest, clock } = this.#options;
    const backoff = new Backoff(clock ? { clock } : {});
    while (!signal.aborted) {
      try {
        const version = await servedMcsVersion(rest, serviceExports, { signal });
        return version && await this.#mayRead(version, signal) ? version : undefined;
      } catch (error) {
        if (signal.aborted) return undefined;
        this.#options.onUpstreamError?.(error, "serviceexports", "discovery");
      }
      // Rejects only when `signal` aborts, which ends the loop.
      await backoff.wait(signal).catch(() => {});
    }
    return undefined;
  }

  #wire(): void {
    const { services, endpoints, endpointSlices } = this.#informers;
    on(services, (key) => this.#view.serviceChanged(key));
    on(endpoints, (key) => this.#view.endpointsChanged(key));
    on(endpointSlices, (key) => this.#view.sliceChanged(key));
  }
}

/** Calls `changed` with the key of every object `informer` adds, updates or deletes. */
function on<T extends KubeObject>(informer: Informer<T>, changed: (key: string) => void): void {
  informer.addEventHandlers({
    onAdd: (object) => changed(objectKey(object)),
    onUpdate: (_, object) => changed(objectKey(object)),
    onDelete: (object) => changed(objectKey(object)),
  });
}
