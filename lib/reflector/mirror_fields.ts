/**
 * Which field of a mirror is the Reflector's, and how: one table per API
 * type, each naming every field of its type (the compiler refuses a table
 * that misses one, so a field cannot be forgotten). The comparison that
 * decides whether the host differs (`projection.ts`) and the write that
 * makes it match (`mergedSpec`) both read these tables, so they cannot
 * disagree: whatever is compared is written, and whatever is written is
 * compared.
 *
 * A mirror is wholly owned. A field the desired mirror leaves unset is
 * absent in the host, and compared as the value the server stores when it
 * is absent (its default), so a hand edit of any field (a `selector`, an
 * `externalIPs` entry, `internalTrafficPolicy: Local`, a port's
 * `targetPort`, an endpoint's `nodeName`) differs and is undone on the next
 * reconcile, while the server's own defaults never cause a write.
 *
 * Two kinds of Service field are the server's, not the mirror's:
 * - `allocated`: the cluster IPs, immutable once set; whether the mirror is
 *   headless is decided by replacing it (`updatableInPlace`), never by an
 *   update, so they are neither compared nor changed.
 * - `defaulted`: the IP families, which the server chooses when the mirror
 *   leaves them open; owned only where the desired mirror sets them.
 *
 * Fields newer than the `kubernetes-types` version in use are in no table:
 * they are neither compared nor changed in a Service, and dropped from an
 * EndpointSlice (which is always written whole).
 *
 * @module
 */

import type {
  EndpointAddress,
  EndpointPort as CoreEndpointPort,
  Endpoints,
  EndpointSubset,
  ObjectReference,
  Service,
  ServicePort,
  ServiceSpec,
  SessionAffinityConfig,
} from "kubernetes-types/core/v1.d.ts";
import type {
  Endpoint,
  EndpointConditions,
  EndpointHints,
  EndpointPort,
  EndpointSlice,
} from "kubernetes-types/discovery/v1.d.ts";
import type { OwnerReference } from "kubernetes-types/meta/v1.d.ts";

/** How one field of a mirror Service's spec is owned. */
export type SpecFieldRule =
  | {
    /** Set to the desired value, or absent. */
    readonly kind: "owned";
    /** The field as compared: the value as the server stores it, `spec` being the whole spec. */
    readonly compared: (value: unknown, spec: ServiceSpec) => unknown;
  }
  | { readonly kind: "allocated" }
  | { readonly kind: "defaulted" };

/** The value as it is, `null` for absent. */
const asIs = (value: unknown): unknown => value ?? null;

/** Compared as `absent` when absent: the server's default for the field. */
function absentAs(absent: unknown): SpecFieldRule {
  return { kind: "owned", compared: (value) => value ?? absent };
}

const owned: SpecFieldRule = { kind: "owned", compared: asIs };

/** Every field of a Service port, as compared; the server defaults `protocol` and `targetPort`. */
export const servicePortFields: {
  readonly [F in keyof Required<ServicePort>]: (port: ServicePort) => unknown;
} = {
  name: (port) => port.name ?? "",
  protocol: (port) => port.protocol ?? "TCP",
  port: (port) => port.port,
  targetPort: (port) => port.targetPort ?? port.port,
  nodePort: (port) => port.nodePort ?? null,
  appProtocol: (port) => port.appProtocol ?? "",
};

const sessionAffinityConfigFields: {
  readonly [F in keyof Required<SessionAffinityConfig>]: (config: SessionAffinityConfig) => unknown;
} = {
  clientIP: (config) => config.clientIP?.timeoutSeconds ?? null,
};

/** Every field of a Service spec, and how a mirror owns it. */
export const serviceSpecFields: { readonly [F in keyof Required<ServiceSpec>]: SpecFieldRule } = {
  type: absentAs("ClusterIP"),
  selector: owned,
  ports: {
    kind: "owned",
    compared: (value) =>
      ((value ?? []) as ServicePort[]).map((port) => project(port, servicePortFields)),
  },
  clusterIP: { kind: "allocated" },
  clusterIPs: { kind: "allocated" },
  ipFamilies: { kind: "defaulted" },
  ipFamilyPolicy: { kind: "defaulted" },
  externalName: owned,
  externalIPs: owned,
  publishNotReadyAddresses: absentAs(false),
  sessionAffinity: absentAs("None"),
  sessionAffinityConfig: {
    kind: "owned",
    compared: (value) =>
      value === undefined
        ? null
        : project(value as SessionAffinityConfig, sessionAffinityConfigFields),
  },
  // The server sets it to Cluster on every Service with a cluster IP.
  internalTrafficPolicy: {
    kind: "owned",
    compared: (value, spec) => value ?? (spec.type === "ExternalName" ? null : "Cluster"),
  },
  externalTrafficPolicy: owned,
  healthCheckNodePort: owned,
  loadBalancerIP: owned,
  loadBalancerSourceRanges: owned,
  loadBalancerClass: owned,
  allocateLoadBalancerNodePorts: owned,
  trafficDistribution: owned,
};

/**
 * The spec the host should hold for `desired`, written over `current`:
 * every owned field as desired (absent where desired leaves it unset), the
 * allocated ones as the host holds them, the defaulted ones as desired
 * where set and else as the host holds them, and fields in no table as
 * the host holds them.
 */
export function mergedSpec(current: ServiceSpec, desired: ServiceSpec): ServiceSpec {
  const merged: Record<string, unknown> = { ...current };
  const wanted = desired as Record<string, unknown>;
  for (const [field, rule] of Object.entries(serviceSpecFields)) {
    const value = wanted[field];
    if (rule.kind === "allocated" || (rule.kind === "defaulted" && value === undefined)) continue;
    if (value === undefined) delete merged[field];
    else merged[field] = structuredClone(value);
  }
  return merged as ServiceSpec;
}

/**
 * The spec as compared with `desired`'s: owned fields as the server stores
 * them, defaulted ones only where `desired` sets them, allocated ones not
 * at all. Equal projections need no write.
 */
export function specProjection(spec: ServiceSpec, desired: ServiceSpec): Record<string, unknown> {
  const values = spec as Record<string, unknown>;
  const wanted = desired as Record<string, unknown>;
  const projection: Record<string, unknown> = {};
  for (const [field, rule] of Object.entries(serviceSpecFields)) {
    if (rule.kind === "owned") projection[field] = rule.compared(values[field], spec);
    else if (rule.kind === "defaulted" && wanted[field] !== undefined) {
      projection[field] = values[field] ?? null;
    }
  }
  return projection;
}

const endpointConditionFields: {
  readonly [F in keyof Required<EndpointConditions>]: (conditions: EndpointConditions) => unknown;
} = {
  ready: (conditions) => conditions.ready ?? null,
  serving: (conditions) => conditions.serving ?? null,
  terminating: (conditions) => conditions.terminating ?? null,
};

const endpointHintFields: {
  readonly [F in keyof Required<EndpointHints>]: (hints: EndpointHints) => unknown;
} = {
  forZones: (hints) => (hints.forZones ?? []).map((zone) => zone.name),
};

const objectReferenceFields: {
  readonly [F in keyof Required<ObjectReference>]: (reference: ObjectReference) => unknown;
} = {
  apiVersion: (reference) => reference.apiVersion ?? "",
  fieldPath: (reference) => reference.fieldPath ?? "",
  kind: (reference) => reference.kind ?? "",
  name: (reference) => reference.name ?? "",
  namespace: (reference) => reference.namespace ?? "",
  resourceVersion: (reference) => reference.resourceVersion ?? "",
  uid: (reference) => reference.uid ?? "",
};

/** Every field of an endpoint of a slice, as compared. */
export const endpointFields: {
  readonly [F in keyof Required<Endpoint>]: (endpoint: Endpoint) => unknown;
} = {
  addresses: (endpoint) => endpoint.addresses,
  conditions: (endpoint) => project(endpoint.conditions ?? {}, endpointConditionFields),
  hostname: (endpoint) => endpoint.hostname ?? "",
  nodeName: (endpoint) => endpoint.nodeName ?? "",
  zone: (endpoint) => endpoint.zone ?? "",
  hints: (endpoint) => endpoint.hints ? project(endpoint.hints, endpointHintFields) : null,
  targetRef: (endpoint) =>
    endpoint.targetRef ? project(endpoint.targetRef, objectReferenceFields) : null,
  deprecatedTopology: (endpoint) => sortedEntries(endpoint.deprecatedTopology),
};

/** Every field of a port of a slice, as compared; the server defaults `protocol`. */
export const endpointPortFields: {
  readonly [F in keyof Required<EndpointPort>]: (port: EndpointPort) => unknown;
} = {
  name: (port) => port.name ?? "",
  protocol: (port) => port.protocol ?? "TCP",
  port: (port) => port.port ?? null,
  appProtocol: (port) => port.appProtocol ?? "",
};

const ownerReferenceFields: {
  readonly [F in keyof Required<OwnerReference>]: (owner: OwnerReference) => unknown;
} = {
  apiVersion: (owner) => owner.apiVersion,
  kind: (owner) => owner.kind,
  name: (owner) => owner.name,
  uid: (owner) => owner.uid,
  controller: (owner) => owner.controller ?? false,
  blockOwnerDeletion: (owner) => owner.blockOwnerDeletion ?? false,
};

/**
 * Every field of an EndpointSlice the Reflector writes, as compared; the
 * rest of `metadata` (name, namespace, identity, versions) is the
 * server's or fixed by the name. A slice is always written whole, so this
 * is also what a write sets.
 */
export const endpointSliceFields: {
  readonly [F in keyof Required<EndpointSlice>]: (slice: EndpointSlice) => unknown;
} = {
  apiVersion: () => "discovery.k8s.io/v1",
  kind: () => "EndpointSlice",
  metadata: ownedMetadata,
  addressType: (slice) => slice.addressType,
  endpoints: (slice) =>
    (slice.endpoints ?? []).map((endpoint) => project(endpoint, endpointFields)),
  ports: (slice) => (slice.ports ?? []).map((port) => project(port, endpointPortFields)),
};

/**
 * The metadata of a mirror's object that is the Reflector's, as compared:
 * labels, annotations, owner references and finalizers (a mirror Service
 * has none of the last two; its endpoint objects are owned by it). The
 * rest is the server's or fixed by the name.
 */
export function ownedMetadata(object: Service | EndpointSlice | Endpoints): unknown {
  return {
    labels: sortedEntries(object.metadata?.labels),
    annotations: sortedEntries(object.metadata?.annotations),
    ownerReferences: (object.metadata?.ownerReferences ?? []).map((owner) =>
      project(owner, ownerReferenceFields)
    ),
    finalizers: object.metadata?.finalizers ?? [],
  };
}

const endpointAddressFields: {
  readonly [F in keyof Required<EndpointAddress>]: (address: EndpointAddress) => unknown;
} = {
  ip: (address) => address.ip,
  hostname: (address) => address.hostname ?? "",
  nodeName: (address) => address.nodeName ?? "",
  targetRef: (address) =>
    address.targetRef ? project(address.targetRef, objectReferenceFields) : null,
};

const coreEndpointPortFields: {
  readonly [F in keyof Required<CoreEndpointPort>]: (port: CoreEndpointPort) => unknown;
} = {
  name: (port) => port.name ?? "",
  port: (port) => port.port,
  protocol: (port) => port.protocol ?? "TCP",
  appProtocol: (port) => port.appProtocol ?? "",
};

const endpointSubsetFields: {
  readonly [F in keyof Required<EndpointSubset>]: (subset: EndpointSubset) => unknown;
} = {
  addresses: (subset) => (subset.addresses ?? []).map((a) => project(a, endpointAddressFields)),
  notReadyAddresses: (subset) =>
    (subset.notReadyAddresses ?? []).map((address) => project(address, endpointAddressFields)),
  ports: (subset) => (subset.ports ?? []).map((port) => project(port, coreEndpointPortFields)),
};

/** Every field of a mirror's core v1 Endpoints the Reflector writes (it writes them whole). */
export const coreEndpointsFields: {
  readonly [F in keyof Required<Endpoints>]: (endpoints: Endpoints) => unknown;
} = {
  apiVersion: () => "v1",
  kind: () => "Endpoints",
  metadata: ownedMetadata,
  subsets: (endpoints) =>
    (endpoints.subsets ?? []).map((subset) => project(subset, endpointSubsetFields)),
};

/** `value` projected through `fields`: one entry per field, in the table's order. */
export function project<T>(
  value: T,
  fields: { readonly [field: string]: (value: T) => unknown },
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([field, read]) => [field, read(value)]));
}

/** A map as sorted entries: equal maps compare equal whatever their key order. */
export function sortedEntries(map: Record<string, string> | undefined): [string, string][] {
  return Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
