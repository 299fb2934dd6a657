/**
 * The `service-reflector` command as a process (with the compiled binary's
 * permissions): time from start to `/readyz` 200, resident memory idle and
 * with 1,000 mirrored Services (VmRSS of the process, read from outside),
 * time from SIGTERM to exit with those mirrors; then two replicas with
 * `--leader-elect` (the defaults: 15 s lease, 2 s retry) and the time a
 * standby takes to lead after the leader stops cleanly (the Lease is
 * released) and after it is killed (the Lease must expire).
 *
 * @module
 */

import type { Service } from "kubernetes-types/core/v1.d.ts";
import { type Cluster, startCluster } from "../cluster/mod.ts";
import { adminConfig } from "../support/client_configs.ts";
import {
  type CommandProcess,
  compiledRunFlags,
  leaderIndex,
  startBetween,
} from "../support/command.ts";
import { poll } from "../support/poll.ts";
import { namespaces, services } from "../../lib/kube/resource.ts";
import { RestClient } from "../../lib/kube/rest.ts";
import { Transport } from "../../lib/kube/transport.ts";
import type { BenchCase } from "./report.ts";
import { residentBytes } from "./_process_stats.ts";

/** Options of {@linkcode benchCommand}. */
export interface CommandBenchOptions {
  /** Services mirrored for the loaded measurement. Defaults to 1000. */
  services?: number;
  /** Concurrent writers creating them. Defaults to 16. */
  writers?: number;
  /** More flags for the command, e.g. `--emitter=false`; the Reflector must stay on (mirrors are awaited). */
  extraArgs?: string[];
  /** Failovers measured per way of stopping the leader. Defaults to 3. */
  failovers?: number;
}

/** Runs the command benchmark on two fresh clusters. */
export async function benchCommand(options: CommandBenchOptions = {}): Promise<BenchCase[]> {
  const { services: count = 1000, writers = 16, extraArgs = [], failovers = 3 } = options;
  await using source = await startCluster({ name: "bench-cmd-source" });
  await using host = await startCluster({ name: "bench-cmd-host" });

  const started = performance.now();
  await using command = await startBetween({
    host,
    source,
    args: ["--log-level=warn", ...extraArgs],
  });
  await command.ready();
  const readyMs = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const idle = await residentBytes(command.child.pid);
  const bare = await bareServeRss();

  using transport = new Transport(adminConfig(source));
  const rest = new RestClient(transport);
  await rest.create(namespaces, { metadata: { name: "bulk" } });
  let next = 0;
  await Promise.all(Array.from({ length: writers }, async () => {
    while (next < count) {
      const index = next++;
      await rest.create<Service>(services, {
        metadata: { name: `svc-${index}`, namespace: "bulk", labels: { export: "yes" } },
        spec: { selector: { app: `svc-${index}` }, ports: [{ name: "http", port: 80 }] },
      });
    }
  }));
  await poll(
    async () => (await command.metric("service_reflector_mirrors") ?? 0) >= count || undefined,
    { description: `${count} mirrors`, timeoutMs: 300_000, intervalMs: 500 },
  );
  const loaded = await residentBytes(command.child.pid);
  const stopping = performance.now();
  const status = await command.stop("SIGTERM");
  const stopMs = performance.now() - stopping;

  const released: number[] = [];
  const killed: number[] = [];
  for (let run = 0; run < failovers; run++) {
    released.push(await failover(host, source, "SIGTERM", run));
    killed.push(await failover(host, source, "SIGKILL", run));
  }
  return [
    { name: "start to /readyz 200 (clusters up)", unit: "ms", samples: [readyMs] },
    { name: "RSS idle (no mirrors)", unit: "MiB", samples: [idle / 2 ** 20] },
    {
      name: "RSS of a bare Deno.serve process, same flags",
      unit: "MiB",
      samples: [bare / 2 ** 20],
    },
    { name: "RSS idle / bare Deno.serve", unit: "ratio", samples: [idle / bare] },
    { name: `RSS with ${count} mirrored Services`, unit: "MiB", samples: [loaded / 2 ** 20] },
    { name: `SIGTERM to exit with ${count} mirrors`, unit: "ms", samples: [stopMs] },
    // 0 is a clean shutdown; 1 means the 15 s shutdown bound was hit.
    { name: "exit code after SIGTERM", unit: "code", samples: [status.code] },
    { name: "failover: leader SIGTERM to standby leading", unit: "ms", samples: released },
    { name: "failover: leader SIGKILL to standby leading", unit: "ms", samples: killed },
  ];
}

/**
 * The RSS of a process doing nothing but `Deno.serve` on loopback, run with
 * the command's permissions and V8 flags, 2 s after it started (as the
 * command's idle RSS is read): the runtime's own floor.
 */
async function bareServeRss(): Promise<number> {
  const dir = await Deno.makeTempDir();
  const script = `${dir}/serve.ts`;
  await Deno.writeTextFile(
    script,
    `Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("ok"));\n`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...await compiledRunFlags(), script],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    return await residentBytes(child.pid);
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Two replicas with `--leader-elect` (default timings) on `host`; stops the
 * leader with `signal` and measures until the standby reports leading.
 */
async function failover(
  host: Cluster,
  source: Cluster,
  signal: Deno.Signal,
  run: number,
): Promise<number> {
  const namespace = `failover-${signal.toLowerCase()}-${run}`;
  await host.kubectl("create", "namespace", namespace);
  const args = [
    "--log-level=warn",
    "--leader-elect",
    `--leader-elect-resource-namespace=${namespace}`,
  ];
  await using first = await startBetween({ host, source, args });
  await using second = await startBetween({ host, source, args });
  const replicas = [first, second];
  const leading = await leaderIndex(replicas, 60_000);
  const leader = replicas[leading] as CommandProcess;
  const standby = replicas[1 - leading] as CommandProcess;
  const stopped = performance.now();
  await leader.stop(signal);
  await poll(async () => (await standby.metric("service_reflector_leader")) === 1 || undefined, {
    description: "the standby leading",
    timeoutMs: 60_000,
    intervalMs: 20,
  });
  return performance.now() - stopped;
}
