import { deepStrictEqual, equal } from "node:assert/strict";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import { isReflected, managedByLabel, managedByValue } from "../ownership.ts";
import { hostServiceShape } from "./_host_service_shape.ts";

const metadata = {
  name: "web",
  namespace: "shop",
  uid: "u-1",
  resourceVersion: "42",
  labels: { app: "web" },
  annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{...}" },
  managedFields: [{ manager: "kubectl" }],
};

Deno.test("hostServiceShape() keeps of an unowned Service only what names it and tells it is not a mirror", () => {
  const unowned: Service = {
    metadata,
    spec: { ports: [{ port: 80 }], selector: { app: "web" } },
    status: {},
  };
  const kept = hostServiceShape(unowned);
  deepStrictEqual(kept, {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: "web",
      namespace: "shop",
      uid: "u-1",
      resourceVersion: "42",
      labels: { app: "web" },
    },
  });
  equal(isReflected(kept), false);
});

Deno.test("hostServiceShape() keeps a mirror whole but for managedFields, and an original's mark", () => {
  const mirror: Service = {
    metadata: { ...metadata, labels: { [managedByLabel]: managedByValue } },
    spec: { ports: [{ port: 80 }] },
  };
  const { managedFields: _, ...rest } = mirror.metadata ?? {};
  deepStrictEqual(hostServiceShape(mirror), { ...mirror, metadata: rest });
  const original: Service = {
    metadata: {
      name: "old",
      annotations: { "service-reflector.squat.ai/reflected": "true", other: "x" },
    },
    spec: {},
  };
  equal(isReflected(hostServiceShape(original)), true);
});
