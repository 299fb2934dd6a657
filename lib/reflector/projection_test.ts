import { equal } from "node:assert/strict";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import {
  mergedService,
  sameProjection,
  serviceProjection,
  updatableInPlace,
} from "./projection.ts";

const desired: Service = {
  metadata: { labels: { a: "1", b: "2" }, annotations: {} },
  spec: { type: "ClusterIP", ports: [{ name: "http", port: 80 }] },
};

Deno.test("serviceProjection() ignores server defaults and label order", () => {
  const fromServer: Service = {
    metadata: { labels: { b: "2", a: "1" }, annotations: {}, uid: "x", resourceVersion: "9" },
    spec: {
      type: "ClusterIP",
      clusterIP: "10.96.0.7",
      clusterIPs: ["10.96.0.7"],
      ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 80 }],
      sessionAffinity: "None",
      ipFamilies: ["IPv4"],
      ipFamilyPolicy: "SingleStack",
      internalTrafficPolicy: "Cluster",
    },
  };
  equal(
    sameProjection(serviceProjection(fromServer, desired), serviceProjection(desired, desired)),
    true,
  );
  const relabelled = { ...fromServer, metadata: { ...fromServer.metadata, labels: { a: "1" } } };
  equal(
    sameProjection(serviceProjection(relabelled, desired), serviceProjection(desired, desired)),
    false,
  );
});

Deno.test("owner references and finalizers added to a mirror Service differ, and the merge removes them", () => {
  const same = (service: Service) =>
    sameProjection(serviceProjection(service, desired), serviceProjection(desired, desired));
  const edits: Service["metadata"][] = [
    {
      ...desired.metadata,
      ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: "p", uid: "u" }],
    },
    { ...desired.metadata, finalizers: ["example.com/hold"] },
  ];
  for (const metadata of edits) {
    const edited: Service = { ...desired, metadata: { ...metadata, uid: "x" } };
    equal(same(edited), false, JSON.stringify(metadata));
    const merged = mergedService(edited, desired);
    equal(same(merged), true, JSON.stringify(merged.metadata));
    equal(merged.metadata?.uid, "x", "the identity is kept");
  }
});

Deno.test("updatableInPlace() refuses switches of immutable cluster IP kinds", () => {
  const headless: Service = { spec: { clusterIP: "None" } };
  const external: Service = { spec: { type: "ExternalName", externalName: "db.example" } };
  equal(updatableInPlace(desired, desired), true);
  equal(updatableInPlace(desired, headless), false);
  equal(updatableInPlace(headless, desired), false);
  equal(updatableInPlace(external, desired), false);
});
