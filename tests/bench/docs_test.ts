import { deepStrictEqual, ok } from "node:assert/strict";
import { goalRows } from "./_goals.ts";
import { writeBenchmarkDocs } from "./docs.ts";
import type { InitialSyncRun } from "./initial_sync.ts";
import { type BenchReport, buildReport } from "./report.ts";

function syncRun(services: number, seconds: number, peakRssMiB: number): InitialSyncRun {
  return {
    implementation: "service-reflector",
    services,
    seconds,
    peakRssMiB,
    rssAfterMiB: peakRssMiB,
    writes: 2 * services,
    cpuSeconds: services / 1000,
    hostControlPlaneCpuSeconds: services / 100,
  };
}

function reports(): Map<string, BenchReport> {
  const runs = [syncRun(1000, 4, 60), syncRun(5000, 30, 100)];
  const initialSync = buildReport("initial_sync", new Date(), { cases: [], runs });
  const churn = buildReport("churn", new Date(), [
    { name: "host write to watch", unit: "ms", samples: [2, 3, 4] },
    { name: "kubeconfig: propagation", unit: "ms", samples: [5, 6, 9] },
    {
      name: "kubeconfig: propagation p99 / host write to watch p99",
      unit: "ratio",
      samples: [2.25],
    },
  ]);
  return new Map([["initial_sync", initialSync], ["churn", churn]]);
}

Deno.test("goalRows() computes each goal from the reports, and says which hold and which did not run", () => {
  const rows = new Map(goalRows(reports()).map(([figure, ...rest]) => [figure, rest]));
  deepStrictEqual(rows.get("peak RSS, 1,000 Services &times; 3 mirrored"), [
    "60 MiB",
    "&le; 65 MiB",
    "yes",
  ]);
  deepStrictEqual(rows.get("peak RSS per extra mirrored Service (1,000 to 5,000)"), [
    "10.2 KiB",
    "&le; 4 KiB",
    "no",
  ]);
  deepStrictEqual(rows.get("initial sync: time(5,000) / time(1,000)"), ["7.50", "&le; 5.5", "no"]);
  deepStrictEqual(
    rows.get("propagation p99 under churn / host write-to-watch p99 (kubeconfig)"),
    ["2.25", "&le; 2", "no"],
  );
  deepStrictEqual(rows.get("idle RSS / a bare Deno.serve process"), ["not run", "&le; 1.3", ""]);
});

Deno.test("writeBenchmarkDocs() writes the page with the goals, every report's cases and its charts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const resultsDir = new URL(`file://${dir}/results/`);
    await Deno.mkdir(resultsDir);
    for (const [name, report] of reports()) {
      await Deno.writeTextFile(new URL(`${name}.json`, resultsDir), JSON.stringify(report));
    }
    const page = await writeBenchmarkDocs({ resultsDir, docsDir: new URL(`file://${dir}/docs/`) });
    const text = await Deno.readTextFile(page);
    for (const part of ["## Goals", "## initial_sync", "## churn", "kubeconfig: propagation (3)"]) {
      ok(text.includes(part), part);
    }
    const charts = ["initial_sync_time", "initial_sync_rss", "churn_latency"];
    for (const chart of charts) {
      ok(text.includes(`](charts/${chart}.svg)`), chart);
      const svg = await Deno.readTextFile(`${dir}/docs/charts/${chart}.svg`);
      ok(svg.startsWith("<svg") && svg.includes("</svg>"), chart);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
