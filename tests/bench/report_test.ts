import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { buildReport, formatTable, shownFigure } from "./report.ts";

Deno.test("buildReport() summarizes odd and even sample counts", () => {
  const report = buildReport("demo", new Date(0), [
    { name: "odd", unit: "ms", samples: [30, 10, 20] },
    { name: "even", unit: "ms", samples: [4, 1, 3, 2] },
  ]);
  deepStrictEqual(
    report.cases.map(({ name, min, median, max, mean }) => ({ name, min, median, max, mean })),
    [
      { name: "odd", min: 10, median: 20, max: 30, mean: 20 },
      { name: "even", min: 1, median: 2.5, max: 4, mean: 2.5 },
    ],
  );
  equal(report.startedAt, "1970-01-01T00:00:00.000Z");
});

Deno.test("buildReport() refuses a case without samples", () => {
  throws(() => buildReport("demo", new Date(), [{ name: "empty", unit: "ms", samples: [] }]), {
    name: "RangeError",
    message: `Cannot summarize case "empty" as it has no samples`,
  });
});

Deno.test("formatTable() aligns columns under the header", () => {
  const table = formatTable(
    buildReport("demo", new Date(), [{ name: "a longer case", unit: "ms", samples: [1500] }]),
  );
  const [, header, row] = table.split("\n");
  equal(header, "case           n   min  median   max  unit");
  equal(row, "a longer case  1  1500    1500  1500    ms");
});

Deno.test("shownFigure() shows small figures with the decimals they need", () => {
  deepStrictEqual(
    [0.908, 4.598, 12.34, 217.476, 1500, 2, 0].map(shownFigure),
    ["0.91", "4.60", "12.3", "217", "1500", "2", "0"],
  );
});
