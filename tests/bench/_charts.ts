/**
 * The benchmarks' charts, as Vega-Lite specifications rendered to SVG by
 * Vega without a browser (text widths are estimated, as no canvas is
 * there to measure them).
 *
 * @module
 */

import { compile, type TopLevelSpec } from "vega-lite";
import { parse, View } from "vega";
import type { InitialSyncRun } from "./initial_sync.ts";

/** One named series of samples, e.g. "kubeconfig: propagation". */
export interface SampleSeries {
  name: string;
  samples: readonly number[];
}

/** One figure of a bar chart. */
export interface Bar {
  /** What is measured, e.g. "peak RSS". */
  figure: string;
  /** Which variant, e.g. "as compiled". */
  variant: string;
  value: number;
}

const width = 520;
const height = 260;

/** Renders a Vega-Lite specification to an SVG document. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Initial sync: `figure` of each run against its Service count, a line per implementation. */
export function scalingChart(
  runs: readonly InitialSyncRun[],
  figure: { field: "seconds" | "peakRssMiB" | "cpuSeconds"; title: string },
): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width,
    height,
    background: "white",
    data: { values: runs.map((run) => ({ ...run })) },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "services", type: "quantitative", title: "Services mirrored" },
      y: { field: figure.field, type: "quantitative", title: figure.title },
      color: { field: "implementation", type: "nominal", title: null, legend: { labelLimit: 0 } },
    },
  };
}

/**
 * The distribution of each series as an empirical CDF (the share of
 * samples at or under each delay), on a logarithmic delay axis.
 */
export function distributionChart(series: readonly SampleSeries[], title: string): TopLevelSpec {
  const values = series.flatMap(({ name, samples }) => {
    const sorted = [...samples].filter((each) => each > 0).sort((a, b) => a - b);
    // At most ~400 points a series: every sample of a small one, evenly spaced ranks of a big one.
    const step = Math.max(1, Math.floor(sorted.length / 400));
    return sorted.flatMap((ms, index) =>
      index % step === 0 || index === sorted.length - 1
        ? [{ series: name, ms, share: (index + 1) / sorted.length }]
        : []
    );
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width,
    height,
    background: "white",
    data: { values },
    mark: { type: "line", interpolate: "step-after" },
    encoding: {
      x: { field: "ms", type: "quantitative", scale: { type: "log" }, title },
      y: { field: "share", type: "quantitative", title: "share of changes at or under" },
      color: { field: "series", type: "nominal", title: null, legend: { labelLimit: 0 } },
    },
  };
}

/** Grouped bars: each figure, a bar per variant. */
export function barChart(bars: readonly Bar[], unit: string): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: { step: 24 },
    height,
    background: "white",
    data: { values: bars.map((bar) => ({ ...bar })) },
    mark: "bar",
    encoding: {
      x: {
        field: "figure",
        type: "nominal",
        title: null,
        sort: null,
        axis: { labelAngle: -30, labelLimit: 0 },
      },
      xOffset: { field: "variant" },
      y: { field: "value", type: "quantitative", title: unit },
      color: { field: "variant", type: "nominal", title: null, legend: { labelLimit: 0 } },
    },
  };
}
