/**
 * Runs a test body against several control planes started in parallel, and
 * always tears them down. When the body throws, each component's log tail is
 * reported before the clusters (and their logs) are removed.
 *
 * @module
 */

import { type Cluster, startCluster, type StartClusterOptions } from "./cluster.ts";

/** Options of {@linkcode withClusters}. */
export interface WithClustersOptions extends Omit<StartClusterOptions, "name"> {
  /** Receives the log tails of every cluster when the body throws. Defaults to `console.error`. */
  reportLogs?: (tails: string) => void;
}

/**
 * Starts one cluster per entry of `specs` (a name, or options of its own that
 * override `options`), runs `body`, then stops them all.
 */
export async function withClusters<T>(
  specs: (string | StartClusterOptions)[],
  body: (clusters: Cluster[]) => Promise<T>,
  options: WithClustersOptions = {},
): Promise<T> {
  // deno-lint-ignore no-console
  const { reportLogs = (tails) => console.error(tails), ...shared } = options;
  const results = await Promise.allSettled(
    specs.map((spec) =>
      startCluster({ ...shared, ...(typeof spec === "string" ? { name: spec } : spec) })
    ),
  );
  const clusters = results.flatMap((result) => result.status === "fulfilled" ? [result.value] : []);
  const failures = results.flatMap((result) => result.status === "rejected" ? [result.reason] : []);
  try {
    if (failures.length > 0) {
      throw new AggregateError(
        failures,
        `Cannot start ${failures.length} of ${specs.length} clusters`,
      );
    }
    return await body(clusters);
  } catch (error) {
    for (const cluster of clusters) reportLogs(await cluster.logTails());
    throw error;
  } finally {
    await Promise.all(clusters.map((cluster) => cluster.stop()));
  }
}
