import { deepStrictEqual, equal, match, throws } from "node:assert/strict";
import fc from "fast-check";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import {
  coreEndpoints,
  deepFreeze,
  endpoint,
  http,
  ipv4s,
  owner,
  ownerReferences,
  service,
  sharedObjects,
  slice,
  sourceKey,
  sourcesArbitrary,
} from "../../tests/support/desired_fixtures.ts";
import { desiredMirror, mirrorEndpoints, mirrorEndpointSlices, mirrorService } from "./desired.ts";

const ownLabels = (source: string, slot = "ipv4-0-0") => ({
  "kubernetes.io/service-name": "web",
  "service-reflector.squat.ai/slot": slot,
  "endpointslice.kubernetes.io/managed-by": "service-reflector.squat.ai",
  "app.kubernetes.io/managed-by": "service-reflector",
  "service-reflector.squat.ai/source": source,
  "multicluster.kubernetes.io/source-cluster": source,
});
const marks = (source: string) => ({
  labels: { "app.kubernetes.io/managed-by": "service-reflector", [sourceKey]: source },
  annotations: { "service-reflector.squat.ai/reflected": "true", [sourceKey]: source },
});
const names = (slices: EndpointSlice[]) => slices.map((s) => s.metadata?.name);

Deno.test("mirrorService() mirrors a ClusterIP Service without selector, cluster IPs or server fields", () => {
  const source = deepFreeze(service({
    type: "ClusterIP",
    selector: { app: "web" },
    clusterIP: "10.96.0.10",
    clusterIPs: ["10.96.0.10", "fd00::10"],
    ports: [{ name: "http", port: 80, targetPort: 8080 }, {
      name: "grpc",
      protocol: "TCP",
      port: 9090,
      targetPort: "grpc",
      appProtocol: "kubernetes.io/h2c",
    }],
    ipFamilies: ["IPv4", "IPv6"],
    ipFamilyPolicy: "PreferDualStack",
    sessionAffinity: "ClientIP",
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
    internalTrafficPolicy: "Local",
    trafficDistribution: "PreferClose",
  }, {
    resourceVersion: "42",
    creationTimestamp: "2026-01-01T00:00:00Z",
    generation: 3,
    managedFields: [{ manager: "kubectl", operation: "Apply" }],
    ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "x", uid: "y" }],
    finalizers: ["example.com/keep"],
    labels: { app: "web" },
    annotations: { team: "shop" },
  }));
  deepStrictEqual(mirrorService([{ source: "east", service: { ...source, status: {} } }]), {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: "web",
      namespace: "shop",
      labels: { app: "web", ...marks("east").labels },
      annotations: { team: "shop", ...marks("east").annotations },
    },
    spec: {
      type: "ClusterIP",
      ports: [{ name: "http", protocol: "TCP", port: 80 }, {
        name: "grpc",
        protocol: "TCP",
        port: 9090,
        appProtocol: "kubernetes.io/h2c",
      }],
      ipFamilies: ["IPv4", "IPv6"],
      ipFamilyPolicy: "PreferDualStack",
      sessionAffinity: "ClientIP",
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
    },
  });
});

Deno.test("mirrorService() strips last-applied and the source's ownership marks, then sets its own", () => {
  const source = deepFreeze(service({ ports: [{ port: 80 }] }, {
    labels: {
      app: "web",
      "app.kubernetes.io/managed-by": "service-reflector",
      "service-reflector.squat.ai/source": "far-away",
      "endpointslice.kubernetes.io/managed-by": "service-reflector.squat.ai",
      "multicluster.kubernetes.io/source-cluster": "far-away",
    },
    annotations: {
      "kubectl.kubernetes.io/last-applied-configuration": "{}",
      "service-reflector.squat.ai/reflected": "false",
      "service-reflector.squat.ai/source": "far-away",
      note: "kept",
    },
  }));
  const mirror = mirrorService([{ source: "east", service: source }]);
  deepStrictEqual(mirror.metadata?.labels, { app: "web", ...marks("east").labels });
  deepStrictEqual(mirror.metadata?.annotations, { note: "kept", ...marks("east").annotations });
  for (const values of [mirror.metadata?.labels, mirror.metadata?.annotations]) {
    const keys = Object.keys(values ?? {});
    deepStrictEqual(keys, [...keys].sort(), "keys sorted, as the API server returns them");
  }
  // A helm-managed source must not make the mirror look helm-managed either.
  const helm = service({}, { labels: { "app.kubernetes.io/managed-by": "Helm" } });
  equal(
    mirrorService([{ source: "east", service: helm }]).metadata?.labels?.[
      "app.kubernetes.io/managed-by"
    ],
    "service-reflector",
  );
});

Deno.test("mirrorEndpointSlices() writes owned, labelled slices per address type, source fields dropped", () => {
  const ep = (address: string) =>
    endpoint(address, {
      hostname: "h",
      hints: { forZones: [{ name: "zone-a" }] },
      deprecatedTopology: { "topology.kubernetes.io/zone": "zone-a" },
    });
  const slices = mirrorEndpointSlices([{
    source: "east",
    service: service({ ipFamilies: ["IPv4", "IPv6"], ports: [{ name: "http", port: 80 }] }),
    endpointSlices: deepFreeze([
      slice("web-v6", "IPv6", [ep("fd00::1")]),
      slice("web-v4", "IPv4", [ep("10.0.0.1")]),
      slice("web-fqdn", "FQDN", [ep("db.example.com")]),
    ]),
  }], owner);
  const mirrored = (addressType: string, address: string): EndpointSlice => ({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: `web.east.${addressType.toLowerCase()}-0-0`,
      namespace: "shop",
      labels: ownLabels("east", `${addressType.toLowerCase()}-0-0`),
      ownerReferences,
    },
    addressType,
    endpoints: [{
      addresses: [address],
      conditions: { ready: true, serving: true, terminating: false },
      hostname: "h",
    }],
    ports: [{ name: "http", protocol: "TCP", port: 80 }],
  });
  deepStrictEqual(slices, [mirrored("IPv4", "10.0.0.1"), mirrored("IPv6", "fd00::1")]);
  const keys = Object.keys(slices[0]?.metadata?.labels ?? {});
  deepStrictEqual(keys, [...keys].sort());
});

Deno.test("mirrorEndpointSlices() cuts 250 endpoints into 3 slices of at most 100, by address", () => {
  const addresses = ipv4s(250);
  const slices = mirrorEndpointSlices([{
    source: "east",
    service: service({ ports: [{ name: "http", port: 80 }] }),
    endpointSlices: deepFreeze([
      slice("web-a", "IPv4", addresses.slice(0, 120).map((a) => endpoint(a))),
      slice("web-b", "IPv4", addresses.slice(120).map((a) => endpoint(a))),
    ]),
  }], owner);
  deepStrictEqual(names(slices), ["web.east.ipv4-0-0", "web.east.ipv4-0-1", "web.east.ipv4-0-2"]);
  deepStrictEqual(slices.map((s) => s.endpoints.length), [100, 100, 50]);
  const mirrored = slices.flatMap((s) => s.endpoints.map((e) => e.addresses[0]));
  deepStrictEqual(mirrored, [...addresses].sort());
});

Deno.test("mirrorEndpointSlices() honours maxEndpointsPerSlice and rejects values outside 1 to 1000", () => {
  const input = {
    source: "east",
    service: service({}),
    endpointSlices: [slice("web-a", "IPv4", ipv4s(5).map((a) => endpoint(a)))],
  };
  const sizes = mirrorEndpointSlices([input], owner, { maxEndpointsPerSlice: 2 })
    .map((s) => s.endpoints.length);
  deepStrictEqual(sizes, [2, 2, 1]);
  for (const value of [0, 1001, 2.5, Number.NaN]) {
    throws(() => mirrorEndpointSlices([input], owner, { maxEndpointsPerSlice: value }), {
      name: "RangeError",
      message:
        `Cannot mirror EndpointSlices as 'maxEndpointsPerSlice' must be an integer from 1 to 1000: current value is ${value}`,
    });
  }
});

Deno.test("mirrorEndpointSlices() keeps not-ready, serving, terminating conditions and hostnames", () => {
  const [mirrored] = mirrorEndpointSlices([{
    source: "east",
    service: service({ clusterIP: "None" }),
    endpointSlices: deepFreeze([slice("web-a", "IPv4", [
      endpoint("10.0.0.1", { hostname: "db-0" }),
      endpoint("10.0.0.2", {
        hostname: "db-1",
        conditions: { ready: false, serving: true, terminating: true },
      }),
      endpoint("10.0.0.3", { hostname: "db-2", conditions: { ready: false } }),
      endpoint("10.0.0.4", { conditions: {} }),
    ])]),
  }], owner);
  deepStrictEqual(mirrored?.endpoints, [
    {
      addresses: ["10.0.0.1"],
      conditions: { ready: true, serving: true, terminating: false },
      hostname: "db-0",
    },
    {
      addresses: ["10.0.0.2"],
      conditions: { ready: false, serving: true, terminating: true },
      hostname: "db-1",
    },
    { addresses: ["10.0.0.3"], conditions: { ready: false }, hostname: "db-2" },
    { addresses: ["10.0.0.4"], conditions: {} },
  ]);
});

Deno.test("mirrorEndpointSlices() converts the core v1 Endpoints of a source without slices", () => {
  const slices = mirrorEndpointSlices([{
    source: "west",
    service: service({ clusterIP: "None" }),
    endpoints: deepFreeze(coreEndpoints([{
      addresses: [
        { ip: "10.1.0.2", hostname: "db-1", nodeName: "n", targetRef: { kind: "Pod", name: "p" } },
        { ip: "fd00::2" },
      ],
      notReadyAddresses: [{ ip: "10.1.0.1", hostname: "db-0" }],
      ports: [{ name: "pg", port: 5432, protocol: "TCP", appProtocol: "postgresql" }],
    }])),
  }], owner);
  const ports = [{ name: "pg", protocol: "TCP", port: 5432, appProtocol: "postgresql" }];
  deepStrictEqual(slices.map((s) => [s.metadata?.name, s.addressType, s.endpoints, s.ports]), [
    ["web.west.ipv4-0-0", "IPv4", [
      { addresses: ["10.1.0.1"], conditions: { ready: false, serving: false }, hostname: "db-0" },
      { addresses: ["10.1.0.2"], conditions: { ready: true, serving: true }, hostname: "db-1" },
    ], ports],
    ["web.west.ipv6-0-0", "IPv6", [
      { addresses: ["fd00::2"], conditions: { ready: true, serving: true } },
    ], ports],
  ]);
});

Deno.test("mirrorEndpointSlices() gives each port set its own slices, ports sorted by name", () => {
  const dns = { name: "dns", protocol: "UDP", port: 53 };
  const metrics = { name: "metrics", port: 9100 };
  const slices = mirrorEndpointSlices([{
    source: "east",
    service: service({}),
    endpointSlices: deepFreeze([
      slice("web-a", "IPv4", [endpoint("10.0.0.1")], [http, dns]),
      slice("web-b", "IPv4", [endpoint("10.0.0.2")], [dns, http]),
      slice("web-c", "IPv4", [endpoint("10.0.0.3")], [metrics]),
    ]),
  }], owner);
  deepStrictEqual(slices.map((s) => [s.metadata?.name, s.endpoints.length, s.ports]), [
    ["web.east.ipv4-0-0", 2, [dns, http]],
    ["web.east.ipv4-1-0", 1, [{ name: "metrics", protocol: "TCP", port: 9100 }]],
  ]);
});

Deno.test("mirror functions take the Service from the first source and label each source's slices", () => {
  const inputs = deepFreeze([
    {
      source: "west",
      service: service({ ports: [{ port: 81 }] }, { labels: { from: "west" } }),
      endpointSlices: [slice("web-w", "IPv4", [endpoint("10.2.0.1")])],
    },
    {
      source: "east",
      service: service({ ports: [{ port: 80 }] }, { labels: { from: "east" } }),
      endpointSlices: [slice("web-e", "IPv4", [endpoint("10.1.0.1")])],
    },
  ]);
  const mirror = mirrorService(inputs);
  deepStrictEqual(mirror.spec?.ports, [{ protocol: "TCP", port: 80 }]);
  deepStrictEqual(mirror.metadata?.labels, { from: "east", ...marks("east").labels });
  const slices = mirrorEndpointSlices(inputs, owner);
  deepStrictEqual(names(slices), ["web.east.ipv4-0-0", "web.west.ipv4-0-0"]);
  deepStrictEqual(slices.map((s) => s.metadata?.labels), [ownLabels("east"), ownLabels("west")]);
  deepStrictEqual(slices.map((s) => s.endpoints[0]?.addresses), [["10.1.0.1"], ["10.2.0.1"]]);
});

Deno.test("mirror functions write no endpoints for an ExternalName Service", () => {
  const external = service({ type: "ExternalName", externalName: "db.example.com" });
  const slices = [slice("web-a", "IPv4", [endpoint("10.0.0.1")])];
  const inputs = deepFreeze([{ source: "east", service: external, endpointSlices: slices }]);
  deepStrictEqual(mirrorEndpointSlices(inputs, owner), []);
  equal(mirrorEndpoints(inputs, owner), undefined);
  // A later source that is ExternalName adds nothing to a ClusterIP mirror.
  const both = [...inputs, { source: "a", service: service({}), endpointSlices: slices }];
  deepStrictEqual(names(mirrorEndpointSlices(both, owner)), ["web.a.ipv4-0-0"]);
});

Deno.test("mirrorEndpointSlices() names a slice with a stable hash when 253 characters would not do", () => {
  const long = { name: "w".repeat(250), uid: "host-uid" };
  const input = {
    source: "east",
    service: service({}, { name: long.name }),
    endpointSlices: [slice("s", "IPv4", [endpoint("10.0.0.1")])],
  };
  const [mirrored] = mirrorEndpointSlices([input], long);
  match(mirrored?.metadata?.name ?? "", /^w{242}-[0-9a-f]{10}$/);
  equal(mirrorEndpointSlices([input], long)[0]?.metadata?.name, mirrored?.metadata?.name);
});

Deno.test("mirror functions reject an owner without a name or uid", () => {
  const inputs = [{ source: "east", service: service({}) }];
  throws(() => mirrorEndpointSlices(inputs, { name: "web", uid: "" }), {
    name: "TypeError",
    message:
      `Cannot mirror EndpointSlices as 'owner' must have a name and a uid: current value is {"name":"web","uid":""}`,
  });
  throws(() => mirrorEndpoints(inputs, { name: "", uid: "u" }), TypeError);
});

const shuffled = <T>(items: readonly T[]) =>
  fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length });

Deno.test("mirror functions give deep-equal output whatever the order of sources, slices and endpoints", () => {
  const reordered = sourcesArbitrary.chain((inputs) =>
    fc.tuple(
      fc.constant(inputs),
      fc.tuple(...inputs.map((input) =>
        fc.tuple(...input.endpointSlices.map((s) =>
          fc.tuple(shuffled(s.endpoints), shuffled(s.ports ?? []))
        )).chain((inner) =>
          shuffled(input.endpointSlices.map((s, i) => ({
            ...s,
            endpoints: inner[i]?.[0] ?? [],
            ports: inner[i]?.[1] ?? [],
          })))
        ).map((endpointSlices) => ({ ...input, endpointSlices }))
      )).chain((inputs) =>
        shuffled(inputs)
      ),
    )
  );
  fc.assert(fc.property(reordered, ([original, other]) => {
    deepFreeze(original);
    deepFreeze(other);
    const options = { maxEndpointsPerSlice: 5 };
    const slices = mirrorEndpointSlices(original, owner, options);
    deepStrictEqual(mirrorEndpointSlices(other, owner, options), slices);
    deepStrictEqual(mirrorEndpoints(other, owner), mirrorEndpoints(original, owner));
    deepStrictEqual(mirrorService(other), mirrorService(original));
    for (const s of slices) {
      equal(s.endpoints.length <= 5, true);
      const addresses = s.endpoints.map((e) => e.addresses[0]);
      deepStrictEqual(addresses, [...new Set(addresses)].sort(), "unique and sorted");
    }
  }));
});

Deno.test("mirror functions leave frozen inputs untouched and share no object with them", () => {
  fc.assert(fc.property(sourcesArbitrary, (inputs) => {
    const before = structuredClone(inputs);
    deepFreeze(inputs);
    const outputs = [
      mirrorService(inputs),
      mirrorEndpointSlices(inputs, owner, { maxEndpointsPerSlice: 3 }),
      mirrorEndpoints(inputs, owner),
    ];
    deepStrictEqual(inputs, before);
    equal(sharedObjects(outputs, inputs), 0);
    equal(sharedObjects(outputs, owner), 0);
  }));
});

Deno.test("desiredMirror() gives the mirror Service, and its endpoint objects for the owner it is given", () => {
  const input = {
    source: "east",
    service: service({ ports: [{ name: "http", port: 80 }] }),
    endpointSlices: [slice("web-a", "IPv4", [endpoint("10.0.0.1")])],
  };
  const withLegacy = desiredMirror([input], { legacyEndpoints: true });
  deepStrictEqual(withLegacy.service, mirrorService([input]));
  deepStrictEqual(withLegacy.endpointsFor(owner), {
    endpointSlices: mirrorEndpointSlices([input], owner),
    endpoints: mirrorEndpoints([input], owner),
  });
  equal(
    withLegacy.endpointsFor(owner).endpointSlices[0]?.metadata?.ownerReferences?.[0]?.uid,
    "host-uid",
  );
  const withoutLegacy = desiredMirror([input], { legacyEndpoints: false });
  equal(withoutLegacy.endpointsFor(owner).endpoints, undefined);
  throws(() => desiredMirror([], { legacyEndpoints: false }), { name: "TypeError" });
});
