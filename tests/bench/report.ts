/**
 * Benchmark results as JSON (for machines and history) and as a table (for
 * people). Every benchmark reports samples of one metric per case; the
 * summary keeps min, median, max and mean.
 *
 * @module
 */

/** Samples of one measured case. */
export interface BenchCase {
  /** What was measured, e.g. "one cluster". */
  name: string;
  /** Unit of the samples, e.g. "ms". */
  unit: string;
  /** Raw samples, in measurement order. */
  samples: number[];
}

/** What a benchmark measured: its cases, and the runs it also records whole, if any. */
export interface BenchOutcome {
  cases: BenchCase[];
  /** One record per run, e.g. per implementation and size (`initial_sync`). */
  runs?: readonly object[];
}

/** Facts of the machine and software that the numbers depend on. */
export interface MachineFacts {
  cpus: number;
  memoryGiB: number;
  deno: string;
  /** `k8s.io/kubernetes` of the test control plane. */
  kubernetes: string;
}

/** A benchmark's full result. */
export interface BenchReport {
  /** Benchmark name, also the JSON file's base name. */
  benchmark: string;
  /** When the run started (ISO 8601). */
  startedAt: string;
  /** Machine facts that the numbers depend on. */
  machine: MachineFacts;
  /** Measured cases. */
  cases: (BenchCase & { min: number; median: number; max: number; mean: number })[];
  /** As {@linkcode BenchOutcome.runs}. */
  runs?: readonly object[];
}

/**
 * The Kubernetes version of the test control plane: `k8s.io/kubernetes` in
 * its Go module (its binaries, built without release ldflags, report
 * `v0.0.0-master` on `/version`).
 */
export function kubernetesVersion(): string {
  const goMod = Deno.readTextFileSync(new URL("../cluster/go.mod", import.meta.url));
  return goMod.match(/^\s*k8s\.io\/kubernetes (v\S+)/m)?.[1] ?? "unknown";
}

/** This machine's facts. */
export function machineFacts(): MachineFacts {
  return {
    cpus: navigator.hardwareConcurrency,
    memoryGiB: Math.round(Deno.systemMemoryInfo().total / 2 ** 30),
    deno: Deno.version.deno,
    kubernetes: kubernetesVersion(),
  };
}

/** Summarizes `outcome` (or bare cases) into a report. */
export function buildReport(
  benchmark: string,
  startedAt: Date,
  outcome: BenchOutcome | BenchCase[],
): BenchReport {
  const { cases, runs } = Array.isArray(outcome) ? { cases: outcome, runs: undefined } : outcome;
  return {
    benchmark,
    startedAt: startedAt.toISOString(),
    machine: machineFacts(),
    ...(runs ? { runs } : {}),
    cases: cases.map((bench) => {
      if (bench.samples.length === 0) {
        throw new RangeError(`Cannot summarize case "${bench.name}" as it has no samples`);
      }
      const sorted = [...bench.samples].sort((a, b) => a - b);
      const middle = Math.floor(sorted.length / 2);
      const median = sorted.length % 2 === 1
        ? sorted[middle] as number
        : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
      const mean = sorted.reduce((sum, sample) => sum + sample, 0) / sorted.length;
      return {
        ...bench,
        min: sorted[0] as number,
        median,
        max: sorted[sorted.length - 1] as number,
        mean,
      };
    }),
  };
}

/** The `q`th percentile of `samples` (nearest rank), in any order; NaN for none. */
export function percentile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((q / 100) * sorted.length) - 1)] ?? NaN;
}

/** `value` with the decimals its size needs to show three significant digits, at most two. */
export function shownFigure(value: number): string {
  const size = Math.abs(value);
  return value.toFixed(size >= 100 || Number.isInteger(value) ? 0 : size >= 10 ? 1 : 2);
}

/** Renders a report as a fixed-width text table. */
export function formatTable(report: BenchReport): string {
  const header = ["case", "n", "min", "median", "max", "unit"];
  const rows = report.cases.map((bench) => [
    bench.name,
    String(bench.samples.length),
    shownFigure(bench.min),
    shownFigure(bench.median),
    shownFigure(bench.max),
    bench.unit,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] as string).length))
  );
  const line = (cells: string[]) =>
    cells.map((cell, column) =>
      column === 0 ? cell.padEnd(widths[column] as number) : cell.padStart(widths[column] as number)
    ).join("  ");
  return [
    `${report.benchmark} (${report.machine.cpus} CPUs, ${report.machine.memoryGiB} GiB, Deno ${report.machine.deno}, Kubernetes ${report.machine.kubernetes})`,
    line(header),
    ...rows.map(line),
  ].join("\n");
}
