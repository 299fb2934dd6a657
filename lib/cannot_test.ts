import { equal } from "node:assert/strict";
import { cannot, shown } from "./cannot.ts";

Deno.test("cannot() follows std's wording", () => {
  equal(
    cannot("requeue", "'delayMs' must be at least 0", -1),
    "Cannot requeue as 'delayMs' must be at least 0: current value is -1",
  );
});

Deno.test("shown() quotes strings so empty and blank ones are visible", () => {
  equal(shown(""), '""');
  equal(shown(" a\n"), '" a\\n"');
});

Deno.test("shown() writes numbers, booleans, null and undefined as they are", () => {
  equal(shown(NaN), "NaN");
  equal(shown(-Infinity), "-Infinity");
  equal(shown(false), "false");
  equal(shown(null), "null");
  equal(shown(undefined), "undefined");
  equal(shown(10n), "10");
});

Deno.test("shown() writes lists and mappings as JSON, and a cyclic one by its kind", () => {
  equal(shown([]), "[]");
  equal(shown({ name: "a" }), '{"name":"a"}');
  const cyclic: Record<string, unknown> = {};
  cyclic["self"] = cyclic;
  equal(shown(cyclic), "an object");
});
