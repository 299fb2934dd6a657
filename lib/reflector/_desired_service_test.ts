import { deepStrictEqual, equal } from "node:assert/strict";
import { deepFreeze, sharedObjects } from "../../tests/support/desired_fixtures.ts";
import { copied, mirrorSpec, sortedByKey } from "./_desired_service.ts";

Deno.test("mirrorSpec() turns a LoadBalancer Service into a ClusterIP one without LB fields", () => {
  const spec = mirrorSpec(deepFreeze({
    type: "LoadBalancer",
    clusterIP: "10.96.0.11",
    ports: [{ name: "https", protocol: "TCP", port: 443, targetPort: 8443, nodePort: 30443 }],
    loadBalancerClass: "example.com/lb",
    loadBalancerIP: "203.0.113.7",
    loadBalancerSourceRanges: ["198.51.100.0/24"],
    externalTrafficPolicy: "Local",
    healthCheckNodePort: 32000,
    allocateLoadBalancerNodePorts: true,
    externalIPs: ["203.0.113.8"],
  }));
  deepStrictEqual(spec, {
    type: "ClusterIP",
    ports: [{ name: "https", protocol: "TCP", port: 443 }],
  });
});

Deno.test("mirrorSpec() turns a NodePort Service into a ClusterIP one without node ports", () => {
  const spec = mirrorSpec(deepFreeze({
    type: "NodePort",
    clusterIP: "10.96.0.12",
    ports: [{ port: 53, protocol: "UDP", nodePort: 30053 }],
    externalTrafficPolicy: "Cluster",
  }));
  deepStrictEqual(spec, { type: "ClusterIP", ports: [{ protocol: "UDP", port: 53 }] });
});

Deno.test("mirrorSpec() keeps a headless Service headless, with publishNotReadyAddresses", () => {
  const spec = mirrorSpec(deepFreeze({
    clusterIP: "None",
    clusterIPs: ["None"],
    selector: { app: "db" },
    ports: [{ name: "pg", port: 5432 }],
    publishNotReadyAddresses: true,
    ipFamilies: ["IPv4"],
    ipFamilyPolicy: "SingleStack",
  }));
  deepStrictEqual(spec, {
    type: "ClusterIP",
    clusterIP: "None",
    clusterIPs: ["None"],
    ports: [{ name: "pg", protocol: "TCP", port: 5432 }],
    ipFamilies: ["IPv4"],
    ipFamilyPolicy: "SingleStack",
    publishNotReadyAddresses: true,
  });
});

Deno.test("mirrorSpec() copies an ExternalName Service's type, external name and ports", () => {
  const spec = mirrorSpec(deepFreeze({
    type: "ExternalName",
    externalName: "db.example.com",
    ports: [{ name: "pg", protocol: "TCP", port: 5432 }],
    sessionAffinity: "None",
  }));
  deepStrictEqual(spec, {
    type: "ExternalName",
    externalName: "db.example.com",
    ports: [{ name: "pg", protocol: "TCP", port: 5432 }],
    sessionAffinity: "None",
  });
});

Deno.test("mirrorSpec() gives a Service without a type a ClusterIP mirror with no ports field", () => {
  deepStrictEqual(mirrorSpec({}), { type: "ClusterIP" });
  deepStrictEqual(mirrorSpec({ clusterIP: "" }), { type: "ClusterIP" });
});

Deno.test("mirrorSpec() leaves IP families out of an ExternalName mirror, as the API requires", () => {
  deepStrictEqual(
    mirrorSpec({ type: "ExternalName", externalName: "x.example", ipFamilyPolicy: "SingleStack" }),
    { type: "ExternalName", externalName: "x.example" },
  );
});

Deno.test("mirrorSpec() shares no object with its input", () => {
  const spec = deepFreeze({
    ports: [{ port: 80 }],
    ipFamilies: ["IPv4"],
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 5 } },
  });
  equal(sharedObjects(mirrorSpec(spec), spec), 0);
});

Deno.test("copied() drops last-applied and every ownership mark, and nothing else", () => {
  deepStrictEqual(
    copied({
      "kubectl.kubernetes.io/last-applied-configuration": "{}",
      "app.kubernetes.io/managed-by": "Helm",
      "app.kubernetes.io/name": "web",
      "service-reflector.squat.ai/source": "x",
      "service-reflector.squat.ai/reflected": "true",
      "service-reflector.squat.ai/other": "kept",
      "endpointslice.kubernetes.io/managed-by": "x",
      "multicluster.kubernetes.io/source-cluster": "x",
    }),
    { "app.kubernetes.io/name": "web", "service-reflector.squat.ai/other": "kept" },
  );
  deepStrictEqual(copied(undefined), {});
});

Deno.test("sortedByKey() orders keys as the API server does, keeping values", () => {
  const sorted = sortedByKey({
    "service-reflector.squat.ai/source": "east",
    app: "web",
    "a.io/x": "1",
  });
  deepStrictEqual(Object.keys(sorted), ["a.io/x", "app", "service-reflector.squat.ai/source"]);
  deepStrictEqual(sorted, {
    app: "web",
    "a.io/x": "1",
    "service-reflector.squat.ai/source": "east",
  });
});
