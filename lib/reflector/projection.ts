/**
 * The parts of host objects the Reflector manages, in a form where
 * server-side defaults and server-owned fields do not show: two objects
 * with equal projections need no write. Comparing projections (and never
 * whole objects) is what makes a no-op resync write nothing.
 *
 * @module
 */

import type { Service, ServicePort } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";

/** The managed fields of a mirror Service. */
export function serviceProjection(service: Service, reference: Service): unknown {
  const spec = service.spec ?? {};
  const wanted = reference.spec ?? {};
  return {
    labels: sortedMap(service.metadata?.labels),
    annotations: sortedMap(service.metadata?.annotations),
    type: spec.type ?? "ClusterIP",
    headless: spec.clusterIP === "None",
    externalName: spec.externalName ?? "",
    ports: (spec.ports ?? []).map(port),
    publishNotReadyAddresses: spec.publishNotReadyAddresses ?? false,
    sessionAffinity: spec.sessionAffinity ?? "None",
    sessionAffinityConfig: spec.sessionAffinityConfig ?? null,
    // The server fills these in when the mirror leaves them open: compare
    // them only where the desired mirror sets them.
    ipFamilyPolicy: wanted.ipFamilyPolicy === undefined ? null : spec.ipFamilyPolicy ?? null,
    ipFamilies: wanted.ipFamilies === undefined ? null : spec.ipFamilies ?? null,
  };
}

function port(value: ServicePort): unknown {
  return {
    name: value.name ?? "",
    protocol: value.protocol ?? "TCP",
    port: value.port,
    appProtocol: value.appProtocol ?? "",
  };
}

/** The managed fields of a mirror EndpointSlice. */
export function sliceProjection(slice: EndpointSlice): unknown {
  return {
    labels: sortedMap(slice.metadata?.labels),
    owners: (slice.metadata?.ownerReferences ?? []).map((
      owner,
    ) => [owner.kind, owner.name, owner.uid]),
    addressType: slice.addressType,
    endpoints: (slice.endpoints ?? []).map((endpoint) => ({
      addresses: endpoint.addresses,
      ready: endpoint.conditions?.ready ?? null,
      serving: endpoint.conditions?.serving ?? null,
      terminating: endpoint.conditions?.terminating ?? null,
      hostname: endpoint.hostname ?? "",
    })),
    ports: (slice.ports ?? []).map((value) => ({
      name: value.name ?? "",
      protocol: value.protocol ?? "TCP",
      port: value.port ?? null,
      appProtocol: value.appProtocol ?? "",
    })),
  };
}

/** A map as sorted entries: equal maps compare equal whatever their key order. */
export function sortedMap(map: Record<string, string> | undefined): [string, string][] {
  return Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Whether two projections are equal. */
export function sameProjection(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Whether `desired` can replace `actual` by an update. A cluster IP is
 * immutable: turning a headless Service into one with an IP (or back), or
 * an ExternalName into any other type (or back), takes a delete and a
 * create instead.
 */
export function updatableInPlace(actual: Service, desired: Service): boolean {
  const headless = (service: Service) => service.spec?.clusterIP === "None";
  const external = (service: Service) => service.spec?.type === "ExternalName";
  return headless(actual) === headless(desired) && external(actual) === external(desired);
}
