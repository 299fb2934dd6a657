/**
 * Runs benchmarks, writes each report to `bench/results/<name>.json` (or
 * under `$SERVICE_REFLECTOR_BENCH_DIR`), prints it as a table, and
 * regenerates `docs/benchmarks.md` from the results there.
 * `deno task bench [name...] [--reflector-cmd "<command>"]` runs this file;
 * without names it runs them all. `--reflector-cmd` runs another reflector
 * binary beside this one where a benchmark compares implementations
 * (`initial_sync` and `churn`).
 *
 * @module
 */
// deno-lint-ignore-file no-console

import { benchClusterStart } from "./cluster_start.ts";
import { benchCommand } from "./command.ts";
import { benchDataPlane } from "./data_plane.ts";
import { benchEmitter } from "./emitter.ts";
import { benchInformer } from "./informer.ts";
import { benchReflector } from "./reflector.ts";
import { type BenchOutcome, buildReport, formatTable } from "./report.ts";
import { benchChurn } from "./churn.ts";
import { writeBenchmarkDocs } from "./docs.ts";
import { benchInitialSync } from "./initial_sync.ts";
import { benchMemory } from "./memory.ts";
import { benchServe } from "./serve.ts";
import { benchSources } from "./sources.ts";
import { benchWaiting } from "./waiting.ts";

/** What every benchmark is given. */
interface BenchContext {
  signal: AbortSignal;
  /** `--reflector-cmd`, when given. */
  reflectorCmd?: string;
}

const benchmarks: Record<string, (context: BenchContext) => Promise<BenchOutcome>> = {
  cluster_start: async ({ signal }) => ({ cases: await benchClusterStart({ signal }) }),
  informer: async () => ({ cases: await benchInformer() }),
  emitter: async () => ({ cases: await benchEmitter() }),
  command: async () => ({ cases: await benchCommand() }),
  reflector: async ({ signal }) => ({ cases: await benchReflector({ signal }) }),
  churn: ({ signal, reflectorCmd }) =>
    benchChurn({ signal, ...(reflectorCmd ? { reflectorCmd } : {}) }),
  waiting: async ({ signal }) => ({ cases: await benchWaiting({ signal }) }),
  serve: async ({ signal }) => ({ cases: await benchServe({ signal }) }),
  sources: async ({ signal }) => ({ cases: await benchSources({ signal }) }),
  memory: async ({ signal }) => ({ cases: await benchMemory({ signal }) }),
  initial_sync: ({ signal, reflectorCmd }) =>
    benchInitialSync({ signal, ...(reflectorCmd ? { reflectorCmd } : {}) }),
  data_plane: async ({ signal }) => ({ cases: await benchDataPlane({ signal }) }),
};

const defaultOutDir = new URL("../../bench/results/", import.meta.url);
const outDir = Deno.env.get("SERVICE_REFLECTOR_BENCH_DIR")
  ? new URL(`file://${Deno.env.get("SERVICE_REFLECTOR_BENCH_DIR")?.replace(/\/?$/, "/")}`)
  : defaultOutDir;

/** The benchmark names and `--reflector-cmd <command>` (or `=<command>`) of `args`. */
function parseArgs(args: readonly string[]): { names: string[]; reflectorCmd?: string } {
  const names: string[] = [];
  let reflectorCmd: string | undefined;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? "";
    if (arg === "--reflector-cmd") reflectorCmd = args[++index];
    else if (arg.startsWith("--reflector-cmd=")) {
      reflectorCmd = arg.slice("--reflector-cmd=".length);
    } else names.push(arg);
  }
  return { names, ...(reflectorCmd ? { reflectorCmd } : {}) };
}

if (import.meta.main) {
  const { names: given, reflectorCmd } = parseArgs(Deno.args);
  const names = given.length > 0 ? given : Object.keys(benchmarks);
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
  const began = performance.now();
  for (const [index, name] of names.entries()) {
    console.error(`[bench] ${index + 1}/${names.length}: ${name}`);
    const run = benchmarks[name] as (context: BenchContext) => Promise<BenchOutcome>;
    const context = { signal: controller.signal, ...(reflectorCmd ? { reflectorCmd } : {}) };
    const report = buildReport(name, new Date(), await run(context));
    const path = new URL(`${name}.json`, outDir);
    await Deno.writeTextFile(path, JSON.stringify(report, null, 2) + "\n");
    console.log(formatTable(report));
    console.log(`JSON: ${path.pathname}\n`);
  }
  // The page describes the committed results only: results written elsewhere leave it alone.
  if (outDir.href === defaultOutDir.href) {
    const docs = await writeBenchmarkDocs({ resultsDir: outDir });
    console.log(`${docs.pathname} from ${outDir.pathname}`);
  }
  console.error(
    `[bench] ${names.length} in ${((performance.now() - began) / 60_000).toFixed(1)} min`,
  );
  Deno.exit(0);
}
