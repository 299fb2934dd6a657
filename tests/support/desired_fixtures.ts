/**
 * Small builders of source objects for the tests of lib/reflector/desired.ts
 * and its helpers, and the checks that inputs stay untouched.
 *
 * @module
 */

import type { Endpoints, Service, ServiceSpec } from "kubernetes-types/core/v1.d.ts";
import type { Endpoint, EndpointPort, EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import type { ObjectMeta } from "kubernetes-types/meta/v1.d.ts";
import fc from "fast-check";
import type { MirrorOwner, SourceObjects } from "../../lib/reflector/desired.ts";

/** The host mirror `web` the fixtures' endpoint objects belong to. */
export const owner: MirrorOwner = { name: "web", uid: "host-uid" };

/** The owner references every endpoint object of {@linkcode owner} carries, as expected. */
export const ownerReferences = [{
  apiVersion: "v1",
  kind: "Service",
  name: "web",
  uid: "host-uid",
  controller: true,
  blockOwnerDeletion: true,
}];

/** The annotation and label naming a mirror's source. */
export const sourceKey = "service-reflector.squat.ai/source";

/** Freezes `value` and everything reachable from it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** How many objects (and arrays) reachable from `output` are also reachable from `input`. */
export function sharedObjects(output: unknown, input: unknown): number {
  const seen = new Set<object>();
  const collect = (value: unknown) => {
    if (typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    Object.values(value).forEach(collect);
  };
  collect(input);
  let shared = 0;
  const visit = (value: unknown) => {
    if (typeof value !== "object" || value === null) return;
    if (seen.has(value)) shared++;
    Object.values(value).forEach(visit);
  };
  visit(output);
  return shared;
}

/** A source Service `shop/web` with `spec`, plus metadata fields. */
export function service(spec: ServiceSpec, metadata: ObjectMeta = {}): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "shop", uid: "source-uid", ...metadata },
    spec,
  };
}

/** A ready endpoint at `address` with source-only fields, plus `extra`. */
export function endpoint(address: string, extra: Partial<Endpoint> = {}): Endpoint {
  return {
    addresses: [address],
    conditions: { ready: true, serving: true, terminating: false },
    nodeName: "node-1",
    zone: "zone-a",
    targetRef: { kind: "Pod", namespace: "shop", name: `web-${address}` },
    ...extra,
  };
}

/** The `http` (80/TCP) port most fixtures use. */
export const http: EndpointPort = { name: "http", protocol: "TCP", port: 80 };

/** A source EndpointSlice of `shop/web`. */
export function slice(
  name: string,
  addressType: string,
  endpoints: Endpoint[],
  ports: EndpointPort[] = [http],
): EndpointSlice {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name,
      namespace: "shop",
      uid: `uid-${name}`,
      resourceVersion: "7",
      labels: {
        "kubernetes.io/service-name": "web",
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
      },
    },
    addressType,
    endpoints,
    ports,
  };
}

/** Source core v1 Endpoints of `shop/web` with `subsets`. */
export function coreEndpoints(subsets: Endpoints["subsets"]): Endpoints {
  return {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: { name: "web", namespace: "shop", uid: "endpoints-uid" },
    ...(subsets === undefined ? {} : { subsets }),
  };
}

/** `count` distinct IPv4 addresses, 10.0.x.y, in no particular order. */
export function ipv4s(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `10.0.${(i * 7) % 256}.${i}`);
}

/** Source objects with slices. */
export type SliceSource = SourceObjects & { endpointSlices: EndpointSlice[] };

/**
 * Random sources of `shop/web` with slices: few addresses and port sets, so
 * that duplicates and merges happen, and FQDN slices now and then.
 */
export const sourcesArbitrary: fc.Arbitrary<SliceSource[]> = fc.uniqueArray(
  fc.record({
    source: fc.constantFrom("east", "west", "north"),
    headless: fc.boolean(),
    slices: fc.array(
      fc.record({
        addressType: fc.constantFrom("IPv4", "IPv6", "FQDN"),
        ports: fc.constantFrom([http], [http, { name: "dns", protocol: "UDP", port: 53 }], []),
        endpoints: fc.array(
          fc.record({
            address: fc.nat(40),
            hostname: fc.option(fc.constantFrom("a", "b"), { nil: undefined }),
            conditions: fc.record({ ready: fc.boolean(), serving: fc.boolean() }, {
              requiredKeys: [],
            }),
          }),
          { maxLength: 12 },
        ),
      }),
      { maxLength: 4 },
    ),
  }),
  { minLength: 1, maxLength: 3, selector: (input) => input.source },
).map((generated) =>
  generated.map(({ source, headless, slices }) => ({
    source,
    service: service(headless ? { clusterIP: "None" } : {}),
    endpointSlices: slices.map((s, i) =>
      slice(
        `web-${i}`,
        s.addressType,
        s.endpoints.map((e) =>
          endpoint(s.addressType === "IPv6" ? `fd00::${e.address}` : `10.0.0.${e.address}`, {
            conditions: { ...e.conditions },
            ...(e.hostname === undefined ? {} : { hostname: e.hostname }),
          })
        ),
        [...s.ports],
      )
    ),
  }))
);
