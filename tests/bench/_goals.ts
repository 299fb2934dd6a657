/**
 * The goals the benchmark results are held to (issue #14's table), each
 * computed from the reports of one run: a row per goal with the measured
 * figure, the goal, and whether it holds. A goal whose benchmark was not
 * run shows "not run".
 *
 * @module
 */

import type { InitialSyncRun } from "./initial_sync.ts";
import { type BenchReport, shownFigure } from "./report.ts";

interface Goal {
  figure: string;
  /** The measured value, or undefined when its benchmark did not run. */
  measure(reports: Map<string, BenchReport>): number | undefined;
  /** Shown after the value, e.g. " MiB". */
  unit: string;
  /** The bound, and which side of it holds. */
  bound: { at: number; most?: true } | { at: number; least: true } | { equal: number };
}

/** The median of the case of `benchmark` whose name `matches`. */
function median(
  reports: Map<string, BenchReport>,
  benchmark: string,
  matches: (name: string) => boolean,
): number | undefined {
  return reports.get(benchmark)?.cases.find((each) => matches(each.name))?.median;
}

/** This project's initial-sync run at `services`. */
function ourRun(reports: Map<string, BenchReport>, services: number): InitialSyncRun | undefined {
  const runs = reports.get("initial_sync")?.runs as InitialSyncRun[] | undefined;
  return runs?.find((run) =>
    run.implementation === "service-reflector" && run.services === services
  );
}

function slopeKiB(reports: Map<string, BenchReport>): number | undefined {
  const [small, large] = [ourRun(reports, 1000), ourRun(reports, 5000)];
  return small && large ? ((large.peakRssMiB - small.peakRssMiB) * 1024) / 4000 : undefined;
}

function timeRatio(reports: Map<string, BenchReport>): number | undefined {
  const [small, large] = [ourRun(reports, 1000), ourRun(reports, 5000)];
  return small && large ? large.seconds / small.seconds : undefined;
}

const goals: Goal[] = [
  {
    figure: "peak RSS, 1,000 Services &times; 3 mirrored",
    measure: (reports) => ourRun(reports, 1000)?.peakRssMiB,
    unit: " MiB",
    bound: { at: 65, most: true },
  },
  {
    figure: "peak RSS, 5,000 Services &times; 3 mirrored",
    measure: (reports) => ourRun(reports, 5000)?.peakRssMiB,
    unit: " MiB",
    bound: { at: 96, most: true },
  },
  {
    figure: "peak RSS per extra mirrored Service (1,000 to 5,000)",
    measure: slopeKiB,
    unit: " KiB",
    bound: { at: 4, most: true },
  },
  {
    figure: "idle RSS / a bare Deno.serve process",
    measure: (reports) =>
      median(reports, "command", (name) => name === "RSS idle / bare Deno.serve"),
    unit: "",
    bound: { at: 1.3, most: true },
  },
  {
    figure: "Emitter: RSS added by 1,000 idle watches",
    measure: (reports) =>
      median(reports, "emitter", (name) => /^RSS added by \d+ idle watches$/.test(name)),
    unit: " MiB",
    bound: { at: 16, most: true },
  },
  {
    figure: "initial sync: time(5,000) / time(1,000)",
    measure: timeRatio,
    unit: "",
    bound: { at: 5.5, most: true },
  },
  {
    figure: "initial-sync write rate / the host apiserver's ceiling",
    measure: (reports) =>
      median(reports, "reflector", (name) => name === "initial-sync write rate / that ceiling"),
    unit: "",
    bound: { at: 0.9, least: true },
  },
  ...(["kubeconfig", "emitter"] as const).map((path): Goal => ({
    figure: `propagation p99 under churn / host write-to-watch p99 (${path})`,
    measure: (reports) =>
      median(
        reports,
        "churn",
        (name) => name === `${path}: propagation p99 / host write to watch p99`,
      ),
    unit: "",
    bound: { at: 2, most: true },
  })),
  {
    figure: "host writes per source change (churn, kubeconfig)",
    measure: (reports) =>
      median(reports, "churn", (name) => name === "kubeconfig: host writes per change"),
    unit: "",
    bound: { equal: 1 },
  },
  {
    figure: "host writes once converged, before any change",
    measure: (reports) =>
      median(reports, "reflector", (name) => name.startsWith("host writes after convergence")),
    unit: "",
    bound: { equal: 0 },
  },
  ...[1000, 5000].map((services): Goal => ({
    figure: `CPU per mirrored Service (with its slice), initial sync of ${
      services.toLocaleString("en")
    }`,
    measure: (reports) => {
      const run = ourRun(reports, services);
      return run ? (run.cpuSeconds * 1000) / run.services : undefined;
    },
    unit: " ms",
    bound: { at: 1, most: true },
  })),
];

/** `[figure, measured, goal, holds]` for every goal. */
export function goalRows(reports: Map<string, BenchReport>): string[][] {
  return goals.map((goal) => {
    const value = goal.measure(reports);
    const { bound } = goal;
    const shownGoal = "equal" in bound
      ? `${bound.equal}`
      : `${"least" in bound ? "&ge;" : "&le;"} ${bound.at}${goal.unit}`;
    if (value === undefined || Number.isNaN(value)) return [goal.figure, "not run", shownGoal, ""];
    const holds = "equal" in bound
      ? value === bound.equal
      : "least" in bound
      ? value >= bound.at
      : value <= bound.at;
    return [goal.figure, `${shownFigure(value)}${goal.unit}`, shownGoal, holds ? "yes" : "no"];
  });
}
