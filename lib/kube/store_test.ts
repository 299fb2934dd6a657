import { deepStrictEqual, equal, throws } from "node:assert/strict";
import fc from "fast-check";
import { Store } from "./store.ts";
import type { KubeObject } from "./object.ts";

function object(namespace: string, name: string, app?: string): KubeObject {
  return { metadata: { namespace, name, ...(app ? { labels: { app } } : {}) } };
}

const byApp = (item: KubeObject) =>
  item.metadata?.labels?.["app"] ? [item.metadata.labels["app"]] : [];

Deno.test("Store keeps objects by key and files them by namespace and custom indexes", () => {
  const store = new Store({ indexers: { app: byApp } });
  equal(store.set(object("a", "web", "shop")), undefined);
  store.set(object("b", "web", "shop"));
  store.set(object("a", "db"));
  equal(store.size, 3);
  deepStrictEqual(store.get("a/web"), object("a", "web", "shop"));
  deepStrictEqual(store.byNamespace("a").map((item) => item.metadata?.name).sort(), ["db", "web"]);
  deepStrictEqual(store.byIndex("app", "shop").map((item) => item.metadata?.namespace).sort(), [
    "a",
    "b",
  ]);

  const previous = store.set(object("a", "web", "blog"));
  deepStrictEqual(previous, object("a", "web", "shop"));
  deepStrictEqual(store.byIndex("app", "shop").map((item) => item.metadata?.namespace), ["b"]);
  deepStrictEqual(store.byIndex("app", "blog").map((item) => item.metadata?.namespace), ["a"]);

  deepStrictEqual(store.delete("b/web"), object("b", "web", "shop"));
  equal(store.delete("b/web"), undefined);
  deepStrictEqual(store.byIndex("app", "shop"), []);
  deepStrictEqual(store.keys().sort(), ["a/db", "a/web"]);
});

Deno.test("Store refuses an unknown index and a replaced namespace index", () => {
  throws(() => new Store().byIndex("app", "x"), {
    name: "RangeError",
    message: `Cannot read index "app" as it does not exist: indexes are namespace`,
  });
  throws(() => new Store({ indexers: { namespace: () => [] } }), {
    name: "TypeError",
    message: `Cannot create store as index "namespace" is built in`,
  });
});

Deno.test("Store indexes always equal a scan of the stored objects", () => {
  const operation = fc.oneof(
    fc.record({
      op: fc.constant("set" as const),
      namespace: fc.constantFrom("a", "b"),
      name: fc.constantFrom("x", "y", "z"),
      app: fc.option(fc.constantFrom("p", "q"), { nil: undefined }),
    }),
    fc.record({
      op: fc.constant("delete" as const),
      key: fc.constantFrom("a/x", "a/y", "b/z", "b/x"),
    }),
  );
  fc.assert(
    fc.property(fc.array(operation, { maxLength: 40 }), (operations) => {
      const store = new Store({ indexers: { app: byApp } });
      for (const step of operations) {
        if (step.op === "set") store.set(object(step.namespace, step.name, step.app));
        else store.delete(step.key);
      }
      for (const app of ["p", "q"]) {
        const scanned = store.list().filter((item) => byApp(item).includes(app)).map((item) =>
          item.metadata?.name
        );
        deepStrictEqual(
          store.byIndex("app", app).map((item) => item.metadata?.name).sort(),
          scanned.sort(),
        );
      }
      for (const namespace of ["a", "b"]) {
        equal(
          store.byNamespace(namespace).length,
          store.list().filter((item) => item.metadata?.namespace === namespace).length,
        );
      }
    }),
    { numRuns: 200 },
  );
});
