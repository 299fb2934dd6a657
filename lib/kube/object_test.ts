import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { objectKey, resourceVersionOf, sliceServiceKeys, splitObjectKey } from "./object.ts";

Deno.test("objectKey() and splitObjectKey() round-trip namespaced and cluster-scoped keys", () => {
  equal(objectKey({ metadata: { namespace: "demo", name: "web" } }), "demo/web");
  equal(objectKey({ metadata: { name: "demo" } }), "demo");
  deepStrictEqual(splitObjectKey("demo/web"), { namespace: "demo", name: "web" });
  deepStrictEqual(splitObjectKey("demo"), { namespace: undefined, name: "demo" });
});

Deno.test("objectKey() and splitObjectKey() refuse malformed input", () => {
  throws(() => objectKey({ metadata: {} }), { name: "TypeError" });
  throws(() => splitObjectKey("a/b/c"), {
    name: "TypeError",
    message:
      `Cannot split object key as it must be "name" or "namespace/name": current value is "a/b/c"`,
  });
  throws(() => splitObjectKey("/b"), { name: "TypeError" });
});

Deno.test("resourceVersionOf() is empty for an object without one", () => {
  equal(resourceVersionOf({}), "");
  equal(resourceVersionOf({ metadata: { resourceVersion: "42" } }), "42");
});

Deno.test("sliceServiceKeys() names the Service of a slice by its service-name label, in the slice's namespace", () => {
  const labelled = (labels: Record<string, string>, namespace?: string) => ({
    metadata: { name: "web-abc12", ...(namespace ? { namespace } : {}), labels },
  });
  deepStrictEqual(sliceServiceKeys(labelled({ "kubernetes.io/service-name": "web" }, "shop")), [
    "shop/web",
  ]);
  deepStrictEqual(sliceServiceKeys(labelled({ "kubernetes.io/service-name": "" }, "shop")), []);
  deepStrictEqual(sliceServiceKeys(labelled({ app: "web" }, "shop")), []);
  deepStrictEqual(sliceServiceKeys({}), []);
});
