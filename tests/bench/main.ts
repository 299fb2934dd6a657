/**
 * Runs the benchmarks, writes each report to `.cache/bench/<name>.json` and
 * prints it as a table. `deno task bench` runs this file.
 *
 * @module
 */
// deno-lint-ignore-file no-console

import { benchClusterStart } from "./cluster_start.ts";
import { buildReport, formatTable } from "./report.ts";

const outDir = new URL("../../.cache/bench/", import.meta.url);

if (import.meta.main) {
  const controller = new AbortController();
  Deno.addSignalListener("SIGINT", () => controller.abort());
  await Deno.mkdir(outDir, { recursive: true });
  const startedAt = new Date();
  const report = buildReport(
    "cluster_start",
    startedAt,
    await benchClusterStart({ signal: controller.signal }),
  );
  const path = new URL("cluster_start.json", outDir);
  await Deno.writeTextFile(path, JSON.stringify(report, null, 2) + "\n");
  console.log(formatTable(report));
  console.log(`\nJSON: ${path.pathname}`);
  Deno.exit(0);
}
