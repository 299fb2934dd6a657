import { equal } from "node:assert/strict";
import { age, humanDuration } from "./_table_duration.ts";

// Printed by apimachinery v0.37.2 `duration.HumanDuration` for the same
// durations, so every branch and boundary is pinned to Go's output.
const pinned: [ms: number, expected: string][] = [
  [-3000, "<invalid>"],
  [-2000, "<invalid>"],
  [-1999, "0s"],
  [-1000, "0s"],
  [-500, "0s"],
  [0, "0s"],
  [999, "0s"],
  [1000, "1s"],
  [5000, "5s"],
  [59000, "59s"],
  [60000, "60s"],
  [119000, "119s"],
  [119999, "119s"],
  [120000, "2m"],
  [121000, "2m1s"],
  [182000, "3m2s"],
  [300000, "5m"],
  [599000, "9m59s"],
  [600000, "10m"],
  [630000, "10m"],
  [3540000, "59m"],
  [3660000, "61m"],
  [10740000, "179m"],
  [10799000, "179m"],
  [10800000, "3h"],
  [10860000, "3h1m"],
  [14399000, "3h59m"],
  [18000000, "5h"],
  [28740000, "7h59m"],
  [28800000, "8h"],
  [32340000, "8h"],
  [82800000, "23h"],
  [172740000, "47h"],
  [172800000, "2d"],
  [183600000, "2d3h"],
  [181800000, "2d2h"],
  [687600000, "7d23h"],
  [691200000, "8d"],
  [709200000, "8d"],
  [8640000000, "100d"],
  [31449600000, "364d"],
  [31536000000, "365d"],
  [63068400000, "729d"],
  [63072000000, "2y"],
  [63158400000, "2y1d"],
  [71712000000, "2y100d"],
  [94608000000, "3y"],
  [252201600000, "7y364d"],
  [252288000000, "8y"],
  [269568000000, "8y"],
  [630720000000, "20y"],
  [3153600000000, "100y"],
];

Deno.test("humanDuration() matches apimachinery's HumanDuration at every boundary", () => {
  for (const [ms, expected] of pinned) equal(humanDuration(ms), expected, `${ms} ms`);
});

Deno.test("age() measures from the creation timestamp to now", () => {
  const now = new Date("2024-05-06T07:08:09.900Z");
  equal(age("2024-05-06T07:08:09Z", now), "0s");
  equal(age("2024-05-06T07:05:07Z", now), "3m2s");
  equal(age("2024-05-04T04:00:00Z", now), "2d3h");
  equal(age("2024-05-06T07:08:12Z", now), "<invalid>");
});

Deno.test("age() is <unknown> without a creation timestamp", () => {
  const now = new Date("2024-05-06T07:08:09Z");
  equal(age(undefined, now), "<unknown>");
  equal(age(null, now), "<unknown>");
  equal(age("", now), "<unknown>");
  equal(age("yesterday", now), "<unknown>");
});
