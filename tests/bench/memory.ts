/**
 * Where the command's memory goes, one variant at a time: the command
 * (`--emitter=false`, as the original was measured, with the compiled
 * binary's permissions and V8 flags) mirrors `services` Services with 3
 * endpoints each from a source cluster into a fresh host cluster per
 * variant. Read from `/proc`: peak RSS (VmHWM), RSS once converged and its
 * anonymous part (the rest is mostly the executable's code, mapped from
 * its file), CPU seconds; from its `/metrics`: the V8 heap and the memory
 * outside it (array buffers). A variant changes V8 flags or the
 * environment, so that each is measured against the first in one run.
 *
 * @module
 */

import type { Service } from "kubernetes-types/core/v1.d.ts";
import { type Cluster, startCluster } from "../cluster/mod.ts";
import { adminConfig } from "../support/client_configs.ts";
import { startCommand } from "../support/command.ts";
import { poll } from "../support/poll.ts";
import { teamServiceList } from "../support/team_services.ts";
import { services } from "../../lib/kube/resource.ts";
import { RestClient } from "../../lib/kube/rest.ts";
import { Transport } from "../../lib/kube/transport.ts";
import { isReflected } from "../../lib/ownership.ts";
import type { BenchCase } from "./report.ts";
import { cpuSeconds, mallocHeapBytes, residentBytes } from "./_process_stats.ts";
import { progressLine } from "./_progress.ts";

/** One way of running the command. */
export interface MemoryVariant {
  /** Shown in the case names. */
  name: string;
  /** V8 flags. */
  v8Flags?: string[];
  /** Environment variables. */
  env?: Record<string, string>;
}

/** Options of {@linkcode benchMemory}. */
export interface MemoryBenchOptions {
  /** Services mirrored. Defaults to 1000. */
  services?: number;
  /** The variants, the baseline first. */
  variants?: MemoryVariant[];
  /** Runs of each variant, each on a fresh host, alternating between variants. Defaults to 3. */
  repeats?: number;
  /** Stops the benchmark (clusters and processes are still torn down). */
  signal?: AbortSignal;
  /** Progress lines. Defaults to stderr. */
  log?: (line: string) => void;
}

/** The variants measured by default: as the binary is compiled, then with V8's defaults. */
export const defaultVariants: MemoryVariant[] = [
  { name: "as compiled" },
  { name: "V8 defaults", v8Flags: [] },
];

/** Runs the benchmark and returns its cases. */
export async function benchMemory(options: MemoryBenchOptions = {}): Promise<BenchCase[]> {
  const { services: count = 1000, variants = defaultVariants, repeats = 3, signal } = options;
  const log = options.log ?? progressLine;
  const lifetime = signal ? { signal } : {};
  await using source = await startCluster({ name: "mem-source", ...lifetime });
  await source.kubectl("create", "namespace", "teams");
  // In Lists of at most 100 Services, the last one holding the rest.
  for (let team = 1; (team - 1) * 100 < count; team++) {
    const perTeam = Math.min(100, count - (team - 1) * 100);
    await source.kubectlWithInput(
      teamServiceList({ namespace: "teams", teams: [team], perTeam, endpoints: 3 }),
      "apply",
      "-f",
      "-",
    );
  }
  // Runs alternate between variants, so that a slow phase of the machine hits them alike.
  const byName = new Map<string, BenchCase>();
  for (let run = 0; run < repeats; run++) {
    for (const [index, variant] of variants.entries()) {
      await using host = await startCluster({ name: `mem-host-${run}-${index}`, ...lifetime });
      const measured = await measure(source, host, count, variant, lifetime);
      for (const each of measured) {
        const kept = byName.get(each.name) ?? { ...each, samples: [] };
        kept.samples.push(...each.samples);
        byName.set(each.name, kept);
      }
      const figures = measured.map((each) => `${each.samples[0]?.toFixed(1)} ${each.unit}`);
      log(`${variant.name}, run ${run + 1}: ${figures.join(", ")}`);
    }
  }
  return [...byName.values()];
}

async function measure(
  source: Cluster,
  host: Cluster,
  count: number,
  variant: MemoryVariant,
  lifetime: { signal?: AbortSignal },
): Promise<BenchCase[]> {
  using transport = new Transport(adminConfig(host));
  const rest = new RestClient(transport);
  const started = performance.now();
  await using command = await startCommand([
    `--kubeconfig=${host.kubeconfig}`,
    "--emitter=false",
    "--log-level=warn",
    `--reflector.source-kubeconfig=source=${source.kubeconfig}`,
    "--reflector.selector=export=yes",
  ], {
    ...(variant.v8Flags ? { v8Flags: variant.v8Flags } : {}),
    ...(variant.env ? { env: variant.env } : {}),
  });
  await poll(async () => {
    const { items } = await rest.list<Service>(services, { namespace: "teams" });
    return items.filter(isReflected).length >= count || undefined;
  }, { description: `${count} mirrors`, timeoutMs: 300_000, intervalMs: 200, ...lifetime });
  const seconds = (performance.now() - started) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const pid = command.child.pid;
  const [peak, after, anonymous, malloc, cpu] = [
    await residentBytes(pid, "VmHWM"),
    await residentBytes(pid, "VmRSS"),
    await residentBytes(pid, "RssAnon"),
    await mallocHeapBytes(pid),
    await cpuSeconds(pid),
  ];
  const name = (what: string) => `${variant.name}: ${what}`;
  const metrics = await (await fetch(`http://127.0.0.1:${command.listen}/metrics`)).text();
  const heap = (metric: string) =>
    Number(
      metrics.split("\n").find((line) => line.startsWith(`${metric} `))?.split(" ")[1] ?? NaN,
    ) /
    2 ** 20;
  return [
    { name: name("V8 heap used"), unit: "MiB", samples: [heap("nodejs_heap_size_used_bytes")] },
    { name: name("V8 heap total"), unit: "MiB", samples: [heap("nodejs_heap_size_total_bytes")] },
    { name: name("external"), unit: "MiB", samples: [heap("nodejs_external_memory_bytes")] },
    { name: name(`start to ${count} mirrors`), unit: "s", samples: [seconds] },
    { name: name("peak RSS"), unit: "MiB", samples: [peak / 2 ** 20] },
    { name: name("RSS once converged"), unit: "MiB", samples: [after / 2 ** 20] },
    { name: name("of which anonymous"), unit: "MiB", samples: [anonymous / 2 ** 20] },
    {
      name: name("of which the C allocator's main arena"),
      unit: "MiB",
      samples: [malloc / 2 ** 20],
    },
    { name: name("CPU"), unit: "s", samples: [cpu] },
  ];
}
