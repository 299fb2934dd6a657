/**
 * How long a test control plane takes to become usable (apiserver ready and
 * the controller-manager's first ServiceAccount written), alone and two or
 * three at once on the same machine. This bounds every integration test's
 * set-up.
 *
 * @module
 */

import { startCluster } from "../cluster/mod.ts";
import type { BenchCase } from "./report.ts";

/** Options of {@linkcode benchClusterStart}. */
export interface ClusterStartOptions {
  /** Runs per case. Defaults to 3. */
  runs?: number;
  /** Stops between runs. */
  signal?: AbortSignal;
}

/** Measures the start of one cluster, and of two and three clusters in parallel. */
export async function benchClusterStart(options: ClusterStartOptions = {}): Promise<BenchCase[]> {
  const { runs = 3, signal } = options;
  const one: number[] = [];
  const two: number[] = [];
  const three: number[] = [];
  // The first start pays for building or locating the binary; keep it out.
  await (await startCluster({ name: "bench-warmup", ...(signal ? { signal } : {}) })).stop();
  for (let run = 0; run < runs; run++) {
    one.push(await timeStarts(["bench-solo"], signal));
    two.push(await timeStarts(["bench-east", "bench-west"], signal));
    three.push(await timeStarts(["bench-east", "bench-west", "bench-north"], signal));
  }
  return [
    { name: "one cluster", unit: "ms", samples: one },
    { name: "two clusters in parallel", unit: "ms", samples: two },
    { name: "three clusters in parallel", unit: "ms", samples: three },
  ];
}

async function timeStarts(names: string[], signal: AbortSignal | undefined): Promise<number> {
  const started = performance.now();
  const clusters = await Promise.all(
    names.map((name) => startCluster({ name, ...(signal ? { signal } : {}) })),
  );
  const elapsed = performance.now() - started;
  await Promise.all(clusters.map((cluster) => cluster.stop()));
  return elapsed;
}
