/**
 * The endpoints of one source, normalized: read from its EndpointSlices, or
 * converted from its core v1 Endpoints when it has no slices, then grouped
 * by address type and port set, deduplicated by address and sorted.
 *
 * The result depends only on the set of endpoints, never on the order of
 * the slices, of their endpoints or of their ports, so recomputing it from
 * equal caches gives deep-equal groups. Inputs are never mutated, and the
 * result shares no object with them.
 *
 * @module
 */

import type { Endpoints, EndpointSubset } from "kubernetes-types/core/v1.d.ts";
import type {
  Endpoint,
  EndpointConditions,
  EndpointPort,
  EndpointSlice,
} from "kubernetes-types/discovery/v1.d.ts";

/** The address types the Reflector mirrors; FQDN slices are skipped. */
export type IpAddressType = "IPv4" | "IPv6";

/** The endpoints of one source that share an address type and a port set. */
export interface EndpointGroup {
  /** IPv4 or IPv6. */
  addressType: IpAddressType;
  /** The port set, each port with its protocol defaulted to TCP, sorted by name. */
  ports: EndpointPort[];
  /** At least one endpoint, one per first address, sorted by first address. */
  endpoints: Endpoint[];
}

/**
 * The groups of a source's endpoints, sorted by address type then port set;
 * groups without endpoints are left out.
 *
 * Endpoints come from `slices` when there is at least one, else from
 * `endpoints`: ready addresses become endpoints that are ready and serving,
 * not-ready ones endpoints that are neither. Endpoints keep `addresses`,
 * `conditions` (`ready`, `serving`, `terminating`) and `hostname`, and
 * drop the rest (`nodeName`, `zone`, `hints`, `targetRef`,
 * `deprecatedTopology`), which describe the source cluster only. When two
 * endpoints of a group share a first address, {@linkcode preferredEndpoint}
 * picks one.
 */
export function endpointGroups(
  slices: readonly EndpointSlice[] | undefined,
  endpoints: Endpoints | undefined,
): EndpointGroup[] {
  const groups = new Map<string, { group: EndpointGroup; byAddress: Map<string, Endpoint> }>();
  const add = (addressType: IpAddressType, ports: EndpointPort[], endpoint: Endpoint) => {
    const address = endpoint.addresses[0];
    if (address === undefined) return;
    const key = `${addressType} ${JSON.stringify(ports)}`;
    let entry = groups.get(key);
    if (!entry) {
      entry = { group: { addressType, ports, endpoints: [] }, byAddress: new Map() };
      groups.set(key, entry);
    }
    const seen = entry.byAddress.get(address);
    entry.byAddress.set(address, seen ? preferredEndpoint(seen, endpoint) : endpoint);
  };
  if (slices !== undefined && slices.length > 0) {
    for (const slice of slices) {
      const addressType = slice.addressType;
      if (addressType !== "IPv4" && addressType !== "IPv6") continue;
      const ports = portSet(slice.ports ?? []);
      for (const endpoint of slice.endpoints ?? []) add(addressType, ports, copyEndpoint(endpoint));
    }
  } else {
    for (const subset of endpoints?.subsets ?? []) {
      const ports = portSet(subset.ports ?? []);
      for (const [ip, endpoint] of convertSubset(subset)) add(addressTypeOf(ip), ports, endpoint);
    }
  }
  return [...groups.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([, { group, byAddress }]) => ({
      ...group,
      endpoints: [...byAddress.entries()]
        .sort(([a], [b]) => compare(a, b))
        .map(([, endpoint]) => endpoint),
    }))
    .filter((group) => group.endpoints.length > 0);
}

/**
 * Of two endpoints with the same first address, the one to keep: the ready
 * one, else the serving one, else the one whose JSON sorts first. The
 * choice depends on the two endpoints only, never on which came first.
 */
export function preferredEndpoint(a: Endpoint, b: Endpoint): Endpoint {
  const byRank = rank(b) - rank(a);
  if (byRank !== 0) return byRank > 0 ? b : a;
  return compare(JSON.stringify(a), JSON.stringify(b)) <= 0 ? a : b;
}

/** Compares strings by UTF-16 code units, independent of locale. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `IPv6` when `ip` has a colon, else `IPv4`. */
export function addressTypeOf(ip: string): IpAddressType {
  return ip.includes(":") ? "IPv6" : "IPv4";
}

function rank(endpoint: Endpoint): number {
  const conditions = endpoint.conditions ?? {};
  return (conditions.ready === false ? 0 : 2) + (conditions.serving === false ? 0 : 1);
}

/** The port set of a slice: copies sorted by name, port, protocol; duplicates removed. */
function portSet(ports: readonly EndpointPort[]): EndpointPort[] {
  const unique = new Map<string, EndpointPort>();
  for (const port of ports) {
    const copy: EndpointPort = {};
    if (port.name !== undefined) copy.name = port.name;
    copy.protocol = port.protocol ?? "TCP";
    if (port.port !== undefined) copy.port = port.port;
    if (port.appProtocol !== undefined) copy.appProtocol = port.appProtocol;
    unique.set(JSON.stringify(copy), copy);
  }
  return [...unique.values()].sort((a, b) =>
    compare(a.name ?? "", b.name ?? "") || (a.port ?? -1) - (b.port ?? -1) ||
    compare(a.protocol ?? "", b.protocol ?? "") ||
    compare(JSON.stringify(a), JSON.stringify(b))
  );
}

/** A copy of the mirrored fields of `endpoint`, in a fixed key order. */
function copyEndpoint(endpoint: Endpoint): Endpoint {
  const source = endpoint.conditions ?? {};
  const conditions: EndpointConditions = {};
  if (source.ready !== undefined) conditions.ready = source.ready;
  if (source.serving !== undefined) conditions.serving = source.serving;
  if (source.terminating !== undefined) conditions.terminating = source.terminating;
  const copy: Endpoint = { addresses: [...endpoint.addresses], conditions };
  if (endpoint.hostname !== undefined) copy.hostname = endpoint.hostname;
  return copy;
}

/** The endpoints of a core v1 subset, keyed by IP. */
function* convertSubset(subset: EndpointSubset): Generator<[string, Endpoint]> {
  for (
    const [addresses, ready] of [[subset.addresses, true], [
      subset.notReadyAddresses,
      false,
    ]] as const
  ) {
    for (const address of addresses ?? []) {
      const endpoint: Endpoint = {
        addresses: [address.ip],
        conditions: { ready, serving: ready },
      };
      if (address.hostname !== undefined) endpoint.hostname = address.hostname;
      yield [address.ip, endpoint];
    }
  }
}
