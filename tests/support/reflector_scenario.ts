/**
 * The Reflector between two fresh real clusters: "east" the source (with
 * namespace {@linkcode scenarioNamespace}), "west" the host. Every
 * Reflector a scenario starts is stopped when it ends, and each scenario has
 * clusters of its own, so that one failing hides no other.
 *
 * @module
 */

import { withClusters } from "../cluster/mod.ts";
import type { Cluster } from "../cluster/mod.ts";
import type { SourceConfig } from "../../lib/reflector/source_config.ts";
import { loadKubeconfig } from "../../lib/kube/config/kubeconfig.ts";
import { RestClient } from "../../lib/kube/rest.ts";
import { Transport } from "../../lib/kube/transport.ts";
import { adminConfig } from "./client_configs.ts";
import {
  type ReflectorHarnessOptions,
  type RunningReflector,
  startReflector,
} from "./reflector_harness.ts";

/** The namespace every scenario creates in east. */
export const scenarioNamespace = "shop";

/** The clusters of one scenario, a client of the host, and a way to start Reflectors. */
export interface Scenario {
  /** The source cluster. */
  east: Cluster;
  /** The host cluster. */
  west: Cluster;
  /** The host, as admin. */
  host: RestClient;
  /** East as a source named `east` selecting `export=yes`, reached through its kubeconfig. */
  eastSource: SourceConfig;
  /** Starts a Reflector of west reading east (or `options.sources`); stopped at the end. */
  start(options?: Partial<ReflectorHarnessOptions>): RunningReflector;
}

/** Runs `body` on fresh clusters east and west. */
export async function scenario(body: (scenario: Scenario) => Promise<void>): Promise<void> {
  await withClusters(["east", "west"], async ([east, west]) => {
    if (!east || !west) throw new Error("clusters missing");
    using hostTransport = new Transport(adminConfig(west));
    const host = new RestClient(hostTransport);
    await east.kubectl("create", "namespace", scenarioNamespace);
    // The source is reached the way users configure it: through its kubeconfig.
    const { config } = await loadKubeconfig({ path: east.kubeconfig });
    const eastSource = { name: "east", config, selector: "export=yes" };
    const started: RunningReflector[] = [];
    const start = (options: Partial<ReflectorHarnessOptions> = {}) => {
      const reflector = startReflector({ host: west, sources: [eastSource], ...options });
      started.push(reflector);
      return reflector;
    };
    try {
      await body({ east, west, host, eastSource, start });
    } finally {
      for (const reflector of started) await reflector.stop();
    }
  });
}
