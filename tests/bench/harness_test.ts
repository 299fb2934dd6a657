/**
 * The benchmarks' harness works end to end at a tiny size: each scenario
 * runs on real clusters and returns every case with finite samples. No
 * timing is asserted; only what must hold at any size (a reload that
 * changes nothing writes nothing: counted at the host's apiserver, once
 * the reload is seen to happen, `sources.ts`).
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { compiledRunFlags } from "../support/command.ts";
import { benchChurn } from "./churn.ts";
import { benchDataPlane } from "./data_plane.ts";
import { benchInitialSync, type InitialSyncRun } from "./initial_sync.ts";
import { benchMemory } from "./memory.ts";
import { buildReport } from "./report.ts";
import { benchSources } from "./sources.ts";

const quiet = () => {};

function finite(cases: { name: string; samples: number[] }[]): void {
  for (const each of cases) {
    ok(
      each.samples.length > 0 && each.samples.every(Number.isFinite),
      `${each.name}: ${each.samples}`,
    );
  }
}

Deno.test("benchSources() runs at a tiny size: every case measured, a no-op reload writes nothing", async () => {
  const cases = await benchSources({ sources: 2, perSource: 2, log: quiet });
  finite(cases);
  const noOp = cases.find((each) =>
    each.name === "host writes during a reload that changes nothing"
  );
  deepStrictEqual(noOp?.samples, [0]);
  equal(buildReport("sources", new Date(), cases).cases.length, cases.length);
});

Deno.test("benchMemory() runs at a tiny size: every figure of every variant measured", async () => {
  const cases = await benchMemory({ services: 5, repeats: 1, log: quiet });
  finite(cases);
  deepStrictEqual(
    new Set(cases.map((each) => each.name.split(":")[0])),
    new Set(["as compiled", "V8 defaults"]),
  );
});

Deno.test("benchInitialSync() runs this command and another one side by side, and writes every run", async () => {
  // The "other" reflector is this program again, started through the --reflector-cmd path.
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const other = [Deno.execPath(), "run", ...await compiledRunFlags(), main].join(" ");
  const outcome = await benchInitialSync({ sizes: [2, 4], reflectorCmd: other, log: quiet });
  finite(outcome.cases);
  // The report keeps the runs whole, as bench/results/initial_sync.json holds them.
  const { runs, machine } = JSON.parse(
    JSON.stringify(buildReport("initial_sync", new Date(), outcome)),
  ) as { runs: InitialSyncRun[]; machine: { kubernetes: string } };
  deepStrictEqual(
    runs.map((
      run,
    ) => [run.implementation === "service-reflector" ? "ours" : "other", run.services]),
    [["ours", 2], ["other", 2], ["ours", 4], ["other", 4]],
  );
  for (const run of runs) {
    ok(run.writes >= 2 * run.services, `${run.implementation}: ${run.writes} writes`);
    ok(run.peakRssMiB >= run.rssAfterMiB * 0.5 && run.cpuSeconds > 0, JSON.stringify(run));
  }
  ok(machine.kubernetes.startsWith("v1."), machine.kubernetes);
});

Deno.test("benchChurn() runs at a tiny size through both paths, side by side: every change shown on the host", async () => {
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const other = [Deno.execPath(), "run", ...await compiledRunFlags(), main].join(" ");
  const { cases, runs } = await benchChurn({
    services: 4,
    changesPerSecond: 10,
    seconds: 1,
    baselineSeconds: 1,
    reflectorCmd: other,
    log: quiet,
  });
  finite(cases);
  deepStrictEqual(
    runs.map((run) => [run.implementation === "service-reflector" ? "ours" : "other", run.path]),
    [["ours", "kubeconfig"], ["other", "kubeconfig"], ["ours", "emitter"], ["other", "emitter"]],
  );
  for (const run of runs) {
    deepStrictEqual([run.changes, run.lost], [10, 0], `${run.implementation} ${run.path}`);
    ok(run.writesPerChange >= 1 && run.p99Ms > 0, JSON.stringify(run));
  }
  for (const path of ["kubeconfig", "emitter"]) {
    equal(cases.find((each) => each.name === `${path}: propagation`)?.samples.length, 10);
  }
});

Deno.test("benchDataPlane() runs at a tiny size: every scale-up reaches the new Pod, every query is timed", async () => {
  const cases = await benchDataPlane({ scaleUps: 2, queries: 3, log: quiet });
  finite(cases);
  // Two scale-ups, one per pause before it: each slice case has both, each answer case one.
  for (const each of cases) {
    const expected = each.name.endsWith("slice") ? 2 : each.name.startsWith("scale-up") ? 1 : 3;
    equal(each.samples.length, expected, each.name);
  }
});
