import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { endpoint, service, slice } from "../../tests/support/desired_fixtures.ts";
import { derivedServiceAnnotation, mcsServiceNameLabel } from "../mcs/api.ts";
import { apiLabel, isMcsObject, isMirrorObject } from "../ownership.ts";
import type { SourceObjects } from "./_desired_inputs.ts";
import { derivedServiceName, desiredImport } from "./_desired_import.ts";

/** `shop/web` as exported by `source`, its export created at `created`, with `spec` over http:80. */
function exportedBy(source: string, created: string, spec = {}): SourceObjects {
  return {
    source,
    service: service(
      { type: "ClusterIP", ports: [{ name: "http", port: 80 }], ipFamilies: ["IPv4"], ...spec },
      { creationTimestamp: created, labels: { tier: source }, annotations: { note: source } },
    ),
    endpointSlices: [slice(`web-${source}`, "IPv4", [endpoint(`10.0.0.${source.length}`)])],
  };
}

const owner = { name: "web", uid: "import-uid" };

Deno.test("desiredImport(): a ServiceImport of the exported name, the oldest export's labels, IPs once the derived Service has them", () => {
  const wanted = desiredImport([
    exportedBy("north", "2026-01-02T00:00:00Z", { internalTrafficPolicy: "Local" }),
    exportedBy("east", "2026-01-01T00:00:00Z", { trafficDistribution: "PreferClose" }),
  ]);
  const before = wanted.serviceImport([]);
  equal(before.metadata?.name, "web");
  equal(before.metadata?.namespace, "shop");
  equal(before.metadata?.labels?.["tier"], "east", "the oldest export's labels");
  equal(before.metadata?.annotations?.["note"], "east");
  equal(before.metadata?.annotations?.[derivedServiceAnnotation], derivedServiceName("web"));
  equal(before.metadata?.labels?.[apiLabel], "mcs");
  ok(isMcsObject(before) && !isMirrorObject(before));
  deepStrictEqual(before.spec, {
    ports: [{ name: "http", protocol: "TCP", port: 80 }],
    type: "ClusterSetIP",
    ipFamilies: ["IPv4"],
    trafficDistribution: "PreferClose",
  });
  deepStrictEqual(before.status?.clusters, [{ cluster: "east" }, { cluster: "north" }]);
  deepStrictEqual(wanted.serviceImport(["10.96.0.7"]).spec?.ips, ["10.96.0.7"]);
});

Deno.test("desiredImport(): the derived Service and the slices are owned by the ServiceImport and named for kube-proxy and CoreDNS", () => {
  const wanted = desiredImport([exportedBy("east", "2026-01-01T00:00:00Z")]);
  const derived = wanted.derivedService(owner);
  equal(derived.metadata?.name, derivedServiceName("web"));
  equal(derived.metadata?.labels?.[mcsServiceNameLabel], "web");
  equal(derived.spec?.selector, undefined);
  deepStrictEqual(derived.metadata?.ownerReferences?.map((each) => [each.kind, each.uid]), [[
    "ServiceImport",
    "import-uid",
  ]]);
  const [only, ...rest] = wanted.endpointSlices(owner);
  deepStrictEqual(rest, []);
  equal(only?.metadata?.labels?.["kubernetes.io/service-name"], derivedServiceName("web"));
  equal(only?.metadata?.labels?.[mcsServiceNameLabel], "web");
  equal(only?.metadata?.labels?.["multicluster.kubernetes.io/source-cluster"], "east");
  equal(only?.metadata?.ownerReferences?.[0]?.kind, "ServiceImport");
  ok(isMcsObject(only ?? {}));
});

Deno.test("desiredImport(): a headless export is a Headless import without IPs", () => {
  const wanted = desiredImport([exportedBy("east", "2026-01-01T00:00:00Z", { clusterIP: "None" })]);
  const serviceImport = wanted.serviceImport(["10.96.0.7"]);
  equal(serviceImport.spec?.type, "Headless");
  equal(serviceImport.spec?.ips, undefined);
  equal(wanted.derivedService(owner).spec?.clusterIP, "None");
});

Deno.test("derivedServiceName() is a stable DNS-1035 label, distinct per name", () => {
  const name = derivedServiceName("web");
  ok(/^derived-[0-9a-f]{16}$/.test(name), name);
  equal(derivedServiceName("web"), name);
  ok(derivedServiceName("api") !== name);
});
