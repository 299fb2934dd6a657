import { deepStrictEqual } from "node:assert/strict";
import { HostKeys } from "./_host_keys.ts";

Deno.test("HostKeys.set() returns the host keys a Service bore on and bears on, and indexes them back", () => {
  const keys = new HostKeys<string>();
  deepStrictEqual(keys.set("east", "shop/web", ["shop/web"]), ["shop/web"]);
  deepStrictEqual(keys.set("north", "shop/web", ["shop/web"]), ["shop/web"]);
  deepStrictEqual(keys.sourcesOf("shop/web"), ["east", "north"]);
  // Renamed (an annotation chose per-source names): the old key is told too.
  deepStrictEqual(keys.set("east", "shop/web", ["shop/web-east"]), ["shop/web", "shop/web-east"]);
  deepStrictEqual(keys.sourcesOf("shop/web"), ["north"]);
  deepStrictEqual(keys.sourceKeys("east", "shop/web-east"), ["shop/web"]);
  deepStrictEqual(keys.keysOf("east"), ["shop/web-east"]);
  // Gone: the key it bore on is told, and nothing is left of it.
  deepStrictEqual(keys.set("east", "shop/web", []), ["shop/web-east"]);
  deepStrictEqual(keys.sourcesOf("shop/web-east"), []);
  deepStrictEqual(keys.keysOf("east"), []);
});

Deno.test("HostKeys: two Services of one source bearing on one key are both found, and drop() forgets only that source", () => {
  const keys = new HostKeys<string>();
  keys.set("east", "a/x-y", ["a/x-y-east"]);
  keys.set("east", "a/x", ["a/x-y-east"]);
  keys.set("north", "a/x-y", ["a/x-y"]);
  deepStrictEqual(keys.sourceKeys("east", "a/x-y-east").sort(), ["a/x", "a/x-y"]);
  deepStrictEqual(keys.drop("east"), ["a/x-y-east"]);
  deepStrictEqual(keys.sourcesOf("a/x-y-east"), []);
  deepStrictEqual(keys.keysOf("north"), ["a/x-y"]);
  deepStrictEqual(keys.drop("east"), []);
});
