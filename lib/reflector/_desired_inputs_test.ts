import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { deepFreeze, service } from "../../tests/support/desired_fixtures.ts";
import { isExternalName, orderedInputs } from "./_desired_inputs.ts";

const what = "mirror a Service";

Deno.test("orderedInputs() sorts a copy by source name in plain string order", () => {
  const inputs = deepFreeze(["west", "East", "east", "10"].map((source) => ({
    source,
    service: service({}),
  })));
  deepStrictEqual(orderedInputs(inputs, what).map((input) => input.source), [
    "10",
    "East",
    "east",
    "west",
  ]);
});

Deno.test("orderedInputs() puts the oldest source Service first, then sorts by name", () => {
  const at = (time: string) => ({ creationTimestamp: time });
  const inputs = deepFreeze([
    { source: "a", service: service({}) },
    { source: "young", service: service({}, at("2026-02-01T00:00:00Z")) },
    { source: "old", service: service({}, at("2025-01-01T00:00:00Z")) },
    { source: "twin", service: service({}, at("2026-02-01T00:00:00Z")) },
  ]);
  deepStrictEqual(orderedInputs(inputs, what).map((input) => input.source), [
    "old",
    "twin",
    "young",
    "a",
  ]);
});

Deno.test("orderedInputs() rejects an empty list", () => {
  throws(() => orderedInputs([], what), {
    name: "TypeError",
    message:
      "Cannot mirror a Service as 'inputs' must hold at least one source: current value is []",
  });
});

Deno.test("orderedInputs() rejects a source name that is no label value, or is given twice", () => {
  for (const source of ["", "-east", "east west", "x".repeat(64)]) {
    throws(() => orderedInputs([{ source, service: service({}) }], what), {
      name: "TypeError",
      message:
        `Cannot mirror a Service as a source name must be a non-empty label value: current value is "${source}"`,
    });
  }
  throws(
    () =>
      orderedInputs([{ source: "east", service: service({}) }, {
        source: "east",
        service: service({}),
      }], what),
    {
      name: "TypeError",
      message: `Cannot mirror a Service as source names must be unique: "east" is given twice`,
    },
  );
});

Deno.test("orderedInputs() rejects Services of different keys, or without name or namespace", () => {
  throws(
    () =>
      orderedInputs([
        { source: "east", service: service({}) },
        { source: "west", service: service({}, { name: "api" }) },
      ], what),
    {
      name: "TypeError",
      message:
        `Cannot mirror a Service as all Services must have the key "shop/web": source "west" has "shop/api"`,
    },
  );
  throws(() => orderedInputs([{ source: "east", service: { metadata: { name: "web" } } }], what), {
    name: "TypeError",
    message:
      `Cannot mirror a Service as the Service of source "east" must have metadata.name and metadata.namespace: current value is {"name":"web"}`,
  });
});

Deno.test("isExternalName() is true for ExternalName Services only", () => {
  equal(isExternalName(service({ type: "ExternalName", externalName: "x.example" })), true);
  equal(isExternalName(service({ type: "ClusterIP" })), false);
  equal(isExternalName({}), false);
});
