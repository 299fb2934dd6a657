/**
 * Runs benchmarks, writes each report to `.cache/bench/<name>.json` (or
 * under `$SERVICE_REFLECTOR_BENCH_DIR`) and prints it as a table.
 * `deno task bench [name...]` runs this file; without names it runs them all.
 *
 * @module
 */
// deno-lint-ignore-file no-console

import { benchClusterStart } from "./cluster_start.ts";
import { benchCommand } from "./command.ts";
import { benchEmitter } from "./emitter.ts";
import { benchInformer } from "./informer.ts";
import { benchReflector } from "./reflector.ts";
import { type BenchCase, buildReport, formatTable } from "./report.ts";
import { benchMemory } from "./memory.ts";
import { benchSources } from "./sources.ts";
import { benchWaiting } from "./waiting.ts";

const benchmarks: Record<string, (signal: AbortSignal) => Promise<BenchCase[]>> = {
  cluster_start: (signal) => benchClusterStart({ signal }),
  informer: () => benchInformer(),
  emitter: () => benchEmitter(),
  command: () => benchCommand(),
  reflector: (signal) => benchReflector({ signal }),
  waiting: (signal) => benchWaiting({ signal }),
  sources: (signal) => benchSources({ signal }),
  memory: (signal) => benchMemory({ signal }),
};

const outDir = Deno.env.get("SERVICE_REFLECTOR_BENCH_DIR")
  ? new URL(`file://${Deno.env.get("SERVICE_REFLECTOR_BENCH_DIR")?.replace(/\/?$/, "/")}`)
  : new URL("../../.cache/bench/", import.meta.url);

if (import.meta.main) {
  const names = Deno.args.length > 0 ? Deno.args : Object.keys(benchmarks);
  const unknown = names.filter((name) => !(name in benchmarks));
  if (unknown.length > 0) {
    console.error(
      `Unknown benchmark ${unknown.map((name) => `"${name}"`).join(", ")}: choose from ${
        Object.keys(benchmarks).join(", ")
      }`,
    );
    Deno.exit(2);
  }
  const controller = new AbortController();
  Deno.addSignalListener("SIGINT", () => controller.abort());
  await Deno.mkdir(outDir, { recursive: true });
  for (const name of names) {
    const run = benchmarks[name] as (signal: AbortSignal) => Promise<BenchCase[]>;
    const report = buildReport(name, new Date(), await run(controller.signal));
    const path = new URL(`${name}.json`, outDir);
    await Deno.writeTextFile(path, JSON.stringify(report, null, 2) + "\n");
    console.log(formatTable(report));
    console.log(`JSON: ${path.pathname}\n`);
  }
  Deno.exit(0);
}
