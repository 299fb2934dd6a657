/**
 * The `service-reflector` command as a process (with the compiled binary's
 * permissions): time from start to `/readyz` 200, resident memory idle and
 * with 1,000 mirrored Services (VmRSS of the process, read from outside),
 * and time from SIGTERM to exit.
 *
 * @module
 */

import type { Service } from "kubernetes-types/core/v1.d.ts";
import { startCluster } from "../cluster/mod.ts";
import { freePorts } from "../cluster/ports.ts";
import { adminConfig } from "../support/client_configs.ts";
import { poll } from "../support/poll.ts";
import { namespaces, services } from "../../lib/kube/resource.ts";
import { RestClient } from "../../lib/kube/rest.ts";
import { Transport } from "../../lib/kube/transport.ts";
import type { BenchCase } from "./report.ts";

/** Options of {@linkcode benchCommand}. */
export interface CommandBenchOptions {
  /** Services mirrored for the loaded measurement. Defaults to 1000. */
  services?: number;
  /** Concurrent writers creating them. Defaults to 16. */
  writers?: number;
  /** More flags for the command, e.g. `--emitter=false`; the Reflector must stay on (mirrors are awaited). */
  extraArgs?: string[];
}

/** Resident memory of process `pid` in bytes, read from outside (`/proc/<pid>/status`). */
async function residentBytes(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kib = status.match(/^VmRSS:\s+(\d+) kB$/m)?.[1];
  return Number(kib) * 1024;
}

async function metric(listen: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${listen}/metrics`)).text();
  const line = text.split("\n").find((entry) => entry.startsWith(`${name} `));
  return Number(line?.split(" ")[1] ?? NaN);
}

/** Runs the command benchmark on two fresh clusters. */
export async function benchCommand(options: CommandBenchOptions = {}): Promise<BenchCase[]> {
  const { services: count = 1000, writers = 16, extraArgs = [] } = options;
  await using source = await startCluster({ name: "bench-cmd-source" });
  await using host = await startCluster({ name: "bench-cmd-host" });
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
  ) as {
    tasks: Record<string, string>;
  };
  const permissions = (config.tasks["compile"] ?? "").split(/\s+/).filter((word) =>
    word.startsWith("--allow-") || word === "--no-prompt"
  );
  const [listen, emitterPort] = freePorts(2) as [number, number];
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...permissions,
      new URL("../../main.ts", import.meta.url).pathname,
      `--kubeconfig=${host.kubeconfig}`,
      `--listen=127.0.0.1:${listen}`,
      "--emitter.bind-address=127.0.0.1",
      `--emitter.insecure-port=${emitterPort}`,
      "--emitter.secure-port=0",
      `--reflector.source-kubeconfig=source=${source.kubeconfig}`,
      "--reflector.selector=export=yes",
      "--log-level=info",
      ...extraArgs,
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let logs = "";
  const reading = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) logs += chunk;
  })();
  try {
    await poll(async () => {
      const response = await fetch(`http://127.0.0.1:${listen}/readyz`).catch(() => undefined);
      await response?.body?.cancel();
      return response?.ok || undefined;
    }, { description: "/readyz", timeoutMs: 60_000, intervalMs: 20 });
    const readyMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const idle = await residentBytes(child.pid);

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
      async () => (await metric(listen, "service_reflector_mirrors")) >= count || undefined,
      {
        description: `${count} mirrors`,
        timeoutMs: 300_000,
        intervalMs: 500,
      },
    );
    const loaded = await residentBytes(child.pid);

    const stopping = performance.now();
    child.kill("SIGTERM");
    const status = await child.status;
    const stopMs = performance.now() - stopping;
    await reading;
    return [
      { name: "start to /readyz 200 (clusters up)", unit: "ms", samples: [readyMs] },
      { name: "RSS idle (no mirrors)", unit: "MiB", samples: [idle / 2 ** 20] },
      { name: `RSS with ${count} mirrored Services`, unit: "MiB", samples: [loaded / 2 ** 20] },
      { name: "SIGTERM to exit", unit: "ms", samples: [stopMs] },
      // 0 is a clean shutdown; 1 means the 15 s shutdown bound was hit.
      { name: "exit code after SIGTERM", unit: "code", samples: [status.code] },
    ];
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await child.status;
    await reading.catch(() => {});
  }
}
