/**
 * Local demo: starts two real control planes ("east" and "west") and prints
 * how to reach them, then keeps them running until Ctrl-C (SIGINT) or
 * SIGTERM, when it stops them and removes their files.
 *
 * Run with `deno task dev` or, on a fresh machine, `./scripts/dev.sh`.
 *
 * @module
 */
// deno-lint-ignore-file no-console

import { type Cluster, startCluster } from "../tests/cluster/mod.ts";
import { clusterBinary } from "../tests/cluster/binary.ts";

const names = ["east", "west"];

async function run(signal: AbortSignal): Promise<void> {
  const binary = await clusterBinary();
  const started = Date.now();
  console.log(`Starting clusters ${names.join(" and ")}...`);
  const results = await Promise.allSettled(names.map((name) => startCluster({ name, signal })));
  const clusters = results.flatMap((result) => result.status === "fulfilled" ? [result.value] : []);
  try {
    for (const result of results) {
      if (result.status === "rejected") throw result.reason;
    }
    console.log(`Ready in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
    for (const cluster of clusters) describe(cluster, binary);
    console.log("Press Ctrl-C to stop both clusters.");
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
  } finally {
    console.log("Stopping...");
    await Promise.all(clusters.map((cluster) => cluster.stop()));
  }
}

function describe(cluster: Cluster, binary: string): void {
  console.log(`${cluster.name}:`);
  console.log(`  server      ${cluster.server}`);
  console.log(`  kubeconfig  ${cluster.kubeconfig}`);
  console.log(`  try         ${binary} kubectl --kubeconfig=${cluster.kubeconfig} get namespaces`);
  console.log(`  logs        ${cluster.dir}/logs/`);
  console.log();
}

if (import.meta.main) {
  const controller = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => controller.abort());
  }
  try {
    await run(controller.signal);
    Deno.exit(0);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(1);
  }
}
