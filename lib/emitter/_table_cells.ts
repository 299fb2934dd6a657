/**
 * The cells of one Table row per Service, Endpoints and EndpointSlice, as
 * kube-apiserver's printers (pkg/printers/internalversion) render them.
 * The apiserver always renders "wide" (kubectl hides priority-1 columns
 * itself), so the SELECTOR cell is always present and load-balancer
 * addresses are never clipped.
 *
 * Objects are read as the apiserver stores them, after defaulting; the few
 * defaults an object from elsewhere may lack (Service `type` ClusterIP, port
 * `protocol` TCP) are applied the same way. Sorting compares UTF-16 code
 * units where Go compares bytes; the two orders agree on the ASCII that
 * label selectors and load-balancer addresses are validated to be.
 *
 * @module
 */

import type { Endpoints, Service, ServicePort } from "kubernetes-types/core/v1.d.ts";
import type { EndpointPort, EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { age } from "./_table_duration.ts";

/** How many entries ENDPOINTS and PORTS list before ` + N more...`. */
const listLimit = 3;

/** NAME, TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S), AGE, SELECTOR of a Service. */
export function serviceCells(service: Service, now: Date): string[] {
  const spec = service.spec ?? {};
  const ports = (spec.ports ?? []).map(formatServicePort).join(",");
  return [
    service.metadata?.name ?? "",
    spec.type || "ClusterIP",
    spec.clusterIPs?.[0] ?? (spec.clusterIP || "<none>"),
    externalIP(service),
    ports || "<none>",
    age(service.metadata?.creationTimestamp, now),
    formatLabels(spec.selector),
  ];
}

/** NAME, ENDPOINTS, AGE of an Endpoints object. */
export function endpointsCells(endpoints: Endpoints, now: Date): string[] {
  return [
    endpoints.metadata?.name ?? "",
    formatEndpoints(endpoints),
    age(endpoints.metadata?.creationTimestamp, now),
  ];
}

/** NAME, ADDRESSTYPE, PORTS, ENDPOINTS, AGE of an EndpointSlice. */
export function endpointSliceCells(slice: EndpointSlice, now: Date): string[] {
  const addresses = (slice.endpoints ?? []).flatMap((endpoint) => endpoint.addresses ?? []);
  return [
    slice.metadata?.name ?? "",
    slice.addressType ?? "",
    listWithMore((slice.ports ?? []).map(formatSlicePort)),
    listWithMore(addresses),
    age(slice.metadata?.creationTimestamp, now),
  ];
}

/** `80/TCP`, or `443:30443/TCP` when a node port is allocated. */
function formatServicePort(port: ServicePort): string {
  const protocol = port.protocol || "TCP";
  const nodePort = port.nodePort ?? 0;
  return nodePort > 0 ? `${port.port}:${nodePort}/${protocol}` : `${port.port}/${protocol}`;
}

/**
 * EXTERNAL-IP by type: `externalIPs` (or `<none>`) for ClusterIP and
 * NodePort; load-balancer ingress IPs or hostnames (sorted, deduplicated)
 * followed by `externalIPs`, or `<pending>`, for LoadBalancer; the DNS name
 * for ExternalName; `<unknown>` for any other type.
 */
function externalIP(service: Service): string {
  const spec = service.spec ?? {};
  const externalIPs = spec.externalIPs ?? [];
  switch (spec.type || "ClusterIP") {
    case "ClusterIP":
    case "NodePort":
      return externalIPs.length > 0 ? externalIPs.join(",") : "<none>";
    case "LoadBalancer": {
      const ingress = new Set<string>();
      for (const entry of service.status?.loadBalancer?.ingress ?? []) {
        const address = entry.ip || entry.hostname;
        if (address) ingress.add(address);
      }
      const addresses = [...[...ingress].sort(), ...externalIPs];
      return addresses.length > 0 ? addresses.join(",") : "<pending>";
    }
    case "ExternalName":
      return spec.externalName ?? "";
    default:
      return "<unknown>";
  }
}

/** `k=v` pairs sorted, comma-joined, or `<none>`, as `labels.FormatLabels`. */
function formatLabels(labels: Record<string, string> | undefined): string {
  const pairs = Object.entries(labels ?? {}).map(([key, value]) => `${key}=${value}`);
  return pairs.length > 0 ? pairs.sort().join(",") : "<none>";
}

/**
 * `ip:port` for every ready address and every port, subset by subset and
 * port by port (bare IPs for a subset without ports); `<none>` without
 * subsets. Not-ready addresses are not shown, so subsets holding only those
 * yield an empty cell, as the apiserver's do.
 */
function formatEndpoints(endpoints: Endpoints): string {
  const subsets = endpoints.subsets ?? [];
  if (subsets.length === 0) return "<none>";
  const entries: string[] = [];
  let count = 0;
  for (const subset of subsets) {
    const addresses = subset.addresses ?? [];
    const ports = subset.ports ?? [];
    if (ports.length === 0) {
      count += addresses.length;
      for (const address of addresses) {
        if (entries.length === listLimit) break;
        entries.push(address.ip);
      }
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const address of addresses) {
        if (entries.length === listLimit) break;
        entries.push(joinHostPort(address.ip, port.port ?? 0));
      }
    }
  }
  const list = entries.join(",");
  return count > listLimit ? `${list} + ${count - listLimit} more...` : list;
}

/** The port number, else its name, else `*` (any port). */
function formatSlicePort(port: EndpointPort): string {
  if (typeof port.port === "number") return String(port.port);
  return port.name ?? "*";
}

/** The first three entries, ` + N more...` when there are more, `<unset>` when none. */
function listWithMore(entries: string[]): string {
  const list = entries.slice(0, listLimit).join(",");
  if (entries.length > listLimit) return `${list} + ${entries.length - listLimit} more...`;
  return list === "" ? "<unset>" : list;
}

/** `host:port`, bracketing IPv6 hosts, as Go's `net.JoinHostPort`. */
function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
