/**
 * Generates `docs/benchmarks.md` and its SVG charts (`docs/charts/`) from
 * the benchmark results in `bench/results/` (or `resultsDir`): the goals
 * the results are held to, then each benchmark's cases as a table. Run by
 * `deno task bench` after a run, or alone as `deno task bench:docs`.
 *
 * @module
 */

import type { TopLevelSpec } from "vega-lite";
import { barChart, distributionChart, renderSvg, scalingChart } from "./_charts.ts";
import { goalRows } from "./_goals.ts";
import type { InitialSyncRun } from "./initial_sync.ts";
import { type BenchReport, percentile, shownFigure } from "./report.ts";

/** Options of {@linkcode writeBenchmarkDocs}. */
export interface BenchmarkDocsOptions {
  /** Where the `<name>.json` reports are. Defaults to `bench/results/`. */
  resultsDir?: URL;
  /** Where `benchmarks.md` and `charts/` go. Defaults to `docs/`. */
  docsDir?: URL;
}

/** What each benchmark measures, in the order the page shows them. */
const descriptions: Record<string, string> = {
  initial_sync:
    "Initial sync at 1,000, 2,000 and 5,000 Services &times; 3 endpoints: the command (`--emitter=false`, the compiled binary's flags) against a fresh host per size, until every mirror and endpoint is there.",
  churn:
    "Propagation under churn: 50 endpoint readiness changes per second for 60 s in the source, each timed from just before its write until a watch on the host shows it, through a kubeconfig source and through an Emitter; beside it, the same host apiserver's own write-to-watch latency for the same changes at the same rate.",
  data_plane:
    "The data plane as a host Pod sees it (real CoreDNS and kube-proxy in nftables mode, `tests/cluster/data_plane.ts`): scale-ups from one source Pod to two, timed to the source slice, the mirror slice and the first answer of the new Pod through the mirror's ClusterIP (alternately 1.5 s and 0.2 s after kube-proxy applied its previous change, as it applies changes at most once a second); DNS answer times for the mirror names; a request on a new connection through the ClusterIP against one straight to the Pod.",
  reflector:
    "The Reflector in one process between two clusters: initial mirroring of 1,000 Services &times; 3 Pods, the host apiserver's write ceiling for the same objects through the same client, write efficiency, and 30 readiness flips one at a time.",
  memory:
    "Where the command's memory goes at 1,000 mirrored Services: as compiled (V8 flags of the compile task) and with V8's defaults, three alternating runs each.",
  command:
    "The command as a process: start to ready, idle RSS against a bare `Deno.serve` process, RSS with 1,000 mirrors, shutdown, and leader failover (SIGTERM and SIGKILL, three times each).",
  emitter:
    "Emitter fan-out of 5,000 Services: one change delivered to 200 watchers; the RSS of 1,000 idle watches and of 100 watch-lists.",
  serve:
    "What the servers' connection bounds cost per request: `serve()` (bounded accept loop, head deadlines, `node:http`) against a bare `Deno.serve`, same handler, on loopback, six rounds alternating which goes first.",
  sources:
    "Twenty sources: 19 Emitters' 950 Services through a sources file, then a source added, a no-op reload and a source removed.",
  waiting:
    "2,000 Services of a namespace the host lacks: host requests per second while they wait.",
  informer: "The informer alone: heap per cached Service, list and watch throughput.",
  cluster_start: "Time to start the test control plane, one to three at once.",
};

/** Writes the page and its charts; returns the page's URL. */
export async function writeBenchmarkDocs(options: BenchmarkDocsOptions = {}): Promise<URL> {
  const resultsDir = options.resultsDir ?? new URL("../../bench/results/", import.meta.url);
  const docsDir = options.docsDir ?? new URL("../../docs/", import.meta.url);
  const reports = await readReports(resultsDir);
  const charts = chartsOf(reports);
  await Deno.mkdir(new URL("charts/", docsDir), { recursive: true });
  for (const [name, spec] of Object.entries(charts)) {
    await Deno.writeTextFile(new URL(`charts/${name}.svg`, docsDir), await renderSvg(spec));
  }
  const page = new URL("benchmarks.md", docsDir);
  await Deno.writeTextFile(page, await formatted(markdown(reports, Object.keys(charts))));
  return page;
}

/** `text` as `deno fmt` leaves Markdown, so that the page passes `deno fmt --check`. */
async function formatted(text: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=md", "--line-width=100", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { success, stdout, stderr } = await child.output();
  if (!success) {
    throw new Error(`Cannot format docs/benchmarks.md: ${new TextDecoder().decode(stderr)}`);
  }
  return new TextDecoder().decode(stdout);
}

async function readReports(dir: URL): Promise<Map<string, BenchReport>> {
  const reports = new Map<string, BenchReport>();
  for (const name of Object.keys(descriptions)) {
    try {
      reports.set(
        name,
        JSON.parse(await Deno.readTextFile(new URL(`${name}.json`, dir))) as BenchReport,
      );
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return reports;
}

/** The charts the reports allow, by file name. */
function chartsOf(reports: Map<string, BenchReport>): Record<string, TopLevelSpec> {
  const charts: Record<string, TopLevelSpec> = {};
  const runs = reports.get("initial_sync")?.runs as InitialSyncRun[] | undefined;
  if (runs?.length) {
    charts["initial_sync_time"] = scalingChart(runs, {
      field: "seconds",
      title: "start to every mirror (s)",
    });
    charts["initial_sync_rss"] = scalingChart(runs, {
      field: "peakRssMiB",
      title: "peak RSS (MiB)",
    });
  }
  const churn = reports.get("churn")?.cases.filter((each) =>
    each.name.endsWith(": propagation") || each.name === "host write to watch"
  );
  if (churn?.length) {
    charts["churn_latency"] = distributionChart(churn, "delay from write to watch event (ms)");
  }
  const memory = reports.get("memory")?.cases.filter((each) => each.unit === "MiB");
  if (memory?.length) {
    charts["memory"] = barChart(
      memory.map((each) => {
        const [variant = "", figure = ""] = each.name.split(": ");
        return { variant, figure, value: each.median };
      }),
      "MiB (median of the runs)",
    );
  }
  return charts;
}

function markdown(reports: Map<string, BenchReport>, charts: string[]): string {
  const lines = [
    "# Benchmarks",
    "",
    "Generated by `deno task bench:docs` from the last full run of `deno task bench`, whose",
    "results are committed in `bench/results/`. Rerun a scenario with `deno task bench <name>`;",
    'compare another reflector with `deno task bench initial_sync --reflector-cmd "<command>"`.',
    "",
    ...machineLines(reports),
    "## Goals",
    "",
    table(["figure", "measured", "goal", "holds"], goalRows(reports)),
    "",
  ];
  for (const [name, report] of reports) {
    lines.push(`## ${name}`, "", descriptions[name] ?? "", "");
    lines.push(`Run ${report.startedAt.slice(0, 16).replace("T", " ")} UTC.`, "");
    for (const chart of charts.filter((each) => each.startsWith(name))) {
      lines.push(`![${chart}](charts/${chart}.svg)`, "");
    }
    lines.push(casesTable(report), "");
  }
  return lines.join("\n");
}

function machineLines(reports: Map<string, BenchReport>): string[] {
  const machines = new Set(
    [...reports.values()].map(({ machine }) =>
      `${machine.cpus} CPUs, ${machine.memoryGiB} GiB, Deno ${machine.deno}, Kubernetes ${machine.kubernetes}`
    ),
  );
  return [`Machine: ${[...machines].join("; ")}.`, ""];
}

function casesTable(report: BenchReport): string {
  const rows = report.cases.map((each) =>
    each.samples.length === 1 ? [each.name, shownFigure(each.median), "", "", each.unit] : [
      `${each.name} (${each.samples.length})`,
      shownFigure(each.median),
      shownFigure(percentile(each.samples, 99)),
      shownFigure(each.max),
      each.unit,
    ]
  );
  return table(["case", "median", "p99", "max", "unit"], rows);
}

/** A Markdown table; pipes in cells are escaped. */
export function table(header: string[], rows: string[][]): string {
  const cell = (text: string) => text.replaceAll("|", "\\|");
  return [
    `| ${header.map(cell).join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.map(cell).join(" | ")} |`),
  ].join("\n");
}

if (import.meta.main) {
  const page = await writeBenchmarkDocs();
  await Deno.stdout.write(new TextEncoder().encode(`${page.pathname}\n`));
}
