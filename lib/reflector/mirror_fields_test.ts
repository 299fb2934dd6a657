import { deepStrictEqual, notDeepStrictEqual } from "node:assert/strict";
import type {
  EndpointAddress,
  EndpointPort as CoreEndpointPort,
  Endpoints,
  EndpointSubset,
  ServicePort,
  ServiceSpec,
} from "kubernetes-types/core/v1.d.ts";
import type { Endpoint, EndpointPort, EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import {
  endpointFields,
  endpointPortFields,
  endpointSliceFields,
  mergedSpec,
  servicePortFields,
  serviceSpecFields,
  specProjection,
} from "./mirror_fields.ts";
import { coreEndpointsProjection, sliceProjection } from "./projection.ts";

/** The spec of a plain ClusterIP mirror, as the Reflector writes it. */
const desired: ServiceSpec = {
  type: "ClusterIP",
  ports: [{ name: "http", protocol: "TCP", port: 80 }],
};

/** The same spec as kube-apiserver stores it: allocated and defaulted fields filled in. */
const stored: ServiceSpec = {
  ...desired,
  ports: [{ name: "http", protocol: "TCP", port: 80, targetPort: 80 }],
  clusterIP: "10.96.0.10",
  clusterIPs: ["10.96.0.10"],
  ipFamilies: ["IPv4"],
  ipFamilyPolicy: "SingleStack",
  sessionAffinity: "None",
  internalTrafficPolicy: "Cluster",
};

/** A hand edit of every field of a Service spec: a value other than the mirror's. */
const specEdits: { [F in keyof Required<ServiceSpec>]: Required<ServiceSpec>[F] } = {
  allocateLoadBalancerNodePorts: false,
  clusterIP: "10.96.0.99",
  clusterIPs: ["10.96.0.99"],
  externalIPs: ["192.0.2.1"],
  externalName: "db.example.com",
  externalTrafficPolicy: "Local",
  healthCheckNodePort: 30000,
  internalTrafficPolicy: "Local",
  ipFamilies: ["IPv6"],
  ipFamilyPolicy: "PreferDualStack",
  loadBalancerClass: "example.com/lb",
  loadBalancerIP: "192.0.2.2",
  loadBalancerSourceRanges: ["192.0.2.0/24"],
  ports: [{ name: "http", protocol: "TCP", port: 8080 }],
  publishNotReadyAddresses: true,
  selector: { app: "host-pods" },
  sessionAffinity: "ClientIP",
  sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
  trafficDistribution: "PreferClose",
  type: "NodePort",
};

const differs = (spec: ServiceSpec, wanted: ServiceSpec = desired) =>
  JSON.stringify(specProjection(spec, wanted)) !== JSON.stringify(specProjection(wanted, wanted));

Deno.test("the stored form of a mirror's spec, with the server's defaults, needs no write", () => {
  deepStrictEqual(specProjection(stored, desired), specProjection(desired, desired));
});

Deno.test("a hand edit of any owned spec field differs, and the merge undoes it", () => {
  for (const [field, rule] of Object.entries(serviceSpecFields)) {
    if (rule.kind !== "owned") continue;
    const edited = { ...stored, [field]: specEdits[field as keyof ServiceSpec] };
    deepStrictEqual(differs(edited), true, `an edit of ${field} is seen`);
    const merged = mergedSpec(edited, desired);
    deepStrictEqual(
      (merged as Record<string, unknown>)[field],
      (desired as Record<string, unknown>)[field],
      `${field} is put back`,
    );
    deepStrictEqual(differs(merged), false, `after the merge of ${field} nothing differs`);
  }
});

Deno.test("only the cluster IPs are allocated and only the IP families defaulted: the rest is owned", () => {
  const ofKind = (kind: string) =>
    Object.entries(serviceSpecFields).filter(([, rule]) => rule.kind === kind).map(([f]) => f);
  deepStrictEqual(ofKind("allocated"), ["clusterIP", "clusterIPs"]);
  deepStrictEqual(ofKind("defaulted"), ["ipFamilies", "ipFamilyPolicy"]);
  deepStrictEqual(ofKind("owned").length, Object.keys(specEdits).length - 4);
});

Deno.test("the allocated cluster IPs are neither compared nor changed", () => {
  for (const field of ["clusterIP", "clusterIPs"] as const) {
    deepStrictEqual(serviceSpecFields[field].kind, "allocated");
    const edited = { ...stored, [field]: specEdits[field] };
    deepStrictEqual(differs(edited), false, field);
    deepStrictEqual(mergedSpec(edited, desired)[field], specEdits[field], field);
  }
});

Deno.test("the IP families are the server's unless the mirror sets them", () => {
  for (const field of ["ipFamilies", "ipFamilyPolicy"] as const) {
    deepStrictEqual(serviceSpecFields[field].kind, "defaulted");
    const edited = { ...stored, [field]: specEdits[field] };
    deepStrictEqual(differs(edited), false, `${field} left open is the server's`);
    deepStrictEqual(mergedSpec(edited, desired)[field], specEdits[field]);
    const wanted = { ...desired, [field]: stored[field] };
    deepStrictEqual(differs(edited, wanted), true, `${field} set by the mirror is compared`);
    deepStrictEqual(mergedSpec(edited, wanted)[field], stored[field]);
  }
});

Deno.test("a spec field newer than the types is neither compared nor changed", () => {
  const edited = { ...stored, futureField: "x" } as ServiceSpec;
  deepStrictEqual(differs(edited), false);
  deepStrictEqual((mergedSpec(edited, desired) as Record<string, unknown>)["futureField"], "x");
});

Deno.test("a hand edit of any field of a Service port differs", () => {
  const port: ServicePort = { name: "http", protocol: "TCP", port: 80, targetPort: 80 };
  const edits: { [F in keyof Required<ServicePort>]: Required<ServicePort>[F] } = {
    appProtocol: "http",
    name: "web",
    nodePort: 30080,
    port: 81,
    protocol: "UDP",
    targetPort: 9090,
  };
  for (const field of Object.keys(servicePortFields) as (keyof ServicePort)[]) {
    const edited = { ...stored, ports: [{ ...port, [field]: edits[field] }] };
    deepStrictEqual(differs(edited), true, `an edit of ports[].${field} is seen`);
    deepStrictEqual(differs(mergedSpec(edited, desired)), false, `ports[].${field} is put back`);
  }
});

const endpoint: Endpoint = { addresses: ["10.1.0.1"], conditions: { ready: true } };
const slicePort: EndpointPort = { name: "http", protocol: "TCP", port: 8080 };
const slice: EndpointSlice = {
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: {
    name: "web-east-ipv4-0",
    namespace: "shop",
    labels: { "kubernetes.io/service-name": "web" },
    ownerReferences: [{ apiVersion: "v1", kind: "Service", name: "web", uid: "u-1" }],
  },
  addressType: "IPv4",
  endpoints: [endpoint],
  ports: [slicePort],
};

const sliceDiffers = (edited: EndpointSlice) =>
  JSON.stringify(sliceProjection(edited)) !== JSON.stringify(sliceProjection(slice));

Deno.test("a hand edit of any field of an endpoint of a slice differs", () => {
  const edits: { [F in keyof Required<Endpoint>]: Required<Endpoint>[F] } = {
    addresses: ["10.1.0.2"],
    conditions: { ready: false },
    deprecatedTopology: { zone: "a" },
    hints: { forZones: [{ name: "a" }] },
    hostname: "web-0",
    nodeName: "host-node",
    targetRef: { kind: "Pod", name: "host-pod", namespace: "shop" },
    zone: "a",
  };
  for (const field of Object.keys(endpointFields) as (keyof Endpoint)[]) {
    const edited = { ...slice, endpoints: [{ ...endpoint, [field]: edits[field] }] };
    deepStrictEqual(sliceDiffers(edited), true, `an edit of endpoints[].${field} is seen`);
  }
  for (const condition of ["ready", "serving", "terminating"] as const) {
    const edited = {
      ...slice,
      endpoints: [{ ...endpoint, conditions: { ...endpoint.conditions, [condition]: false } }],
    };
    deepStrictEqual(sliceDiffers(edited), true, `an edit of conditions.${condition} is seen`);
  }
});

Deno.test("a hand edit of any field of a port of a slice differs", () => {
  const edits: { [F in keyof Required<EndpointPort>]: Required<EndpointPort>[F] } = {
    appProtocol: "http",
    name: "web",
    port: 8081,
    protocol: "UDP",
  };
  for (const field of Object.keys(endpointPortFields) as (keyof EndpointPort)[]) {
    const edited = { ...slice, ports: [{ ...slicePort, [field]: edits[field] }] };
    deepStrictEqual(sliceDiffers(edited), true, `an edit of ports[].${field} is seen`);
  }
});

Deno.test("a hand edit of a slice's address type, labels, annotations or owners differs", () => {
  const metadata = slice.metadata ?? {};
  const edits: EndpointSlice[] = [
    { ...slice, addressType: "IPv6" },
    { ...slice, metadata: { ...metadata, labels: { ...metadata.labels, extra: "x" } } },
    { ...slice, metadata: { ...metadata, annotations: { note: "x" } } },
    { ...slice, metadata: { ...metadata, ownerReferences: [] } },
  ];
  for (const edited of edits) notDeepStrictEqual(sliceProjection(edited), sliceProjection(slice));
  deepStrictEqual(Object.keys(endpointSliceFields).sort(), [
    "addressType",
    "apiVersion",
    "endpoints",
    "kind",
    "metadata",
    "ports",
  ]);
});

Deno.test("a slice as listed, without apiVersion and kind and with server defaults, needs no write", () => {
  const { apiVersion: _apiVersion, kind: _kind, ...listed } = slice;
  const withDefaults = {
    ...listed,
    ports: [{ name: "http", port: 8080 }],
    metadata: { ...slice.metadata, uid: "s-1", resourceVersion: "7", generation: 1 },
  } as EndpointSlice;
  deepStrictEqual(sliceProjection(withDefaults), sliceProjection(slice));
});

const coreEndpoints: Endpoints = {
  metadata: { name: "web", namespace: "shop", labels: { "app.kubernetes.io/managed-by": "x" } },
  subsets: [{
    addresses: [{ ip: "10.1.0.1" }],
    ports: [{ port: 80, name: "http", protocol: "TCP" }],
  }],
};

Deno.test("core Endpoints as the server returns them (keys reordered, defaults) need no write", () => {
  const returned = {
    ...coreEndpoints,
    metadata: { ...coreEndpoints.metadata, uid: "e-1", resourceVersion: "3" },
    subsets: [{ addresses: [{ ip: "10.1.0.1" }], ports: [{ name: "http", port: 80 }] }],
  };
  deepStrictEqual(coreEndpointsProjection(returned), coreEndpointsProjection(coreEndpoints));
});

Deno.test("a hand edit of any field of core Endpoints' addresses, ports or subsets differs", () => {
  const address: { [F in keyof Required<EndpointAddress>]: Required<EndpointAddress>[F] } = {
    hostname: "web-0",
    ip: "10.1.0.2",
    nodeName: "west-1",
    targetRef: { kind: "Pod", name: "host-pod" },
  };
  const port: { [F in keyof Required<CoreEndpointPort>]: Required<CoreEndpointPort>[F] } = {
    appProtocol: "http",
    name: "web",
    port: 81,
    protocol: "UDP",
  };
  const subset = coreEndpoints.subsets?.[0] ?? {};
  const edits: EndpointSubset[][] = [
    ...Object.entries(address).map(([field, value]) => [{
      ...subset,
      addresses: [{ ip: "10.1.0.1", [field]: value }],
    }]),
    ...Object.entries(port).map(([field, value]) => [{
      ...subset,
      ports: [{ port: 80, name: "http", protocol: "TCP", [field]: value }],
    }]),
    [{ ...subset, notReadyAddresses: [{ ip: "10.1.0.3" }] }],
  ];
  for (const subsets of edits) {
    notDeepStrictEqual(
      coreEndpointsProjection({ ...coreEndpoints, subsets }),
      coreEndpointsProjection(coreEndpoints),
      JSON.stringify(subsets),
    );
  }
});
