/**
 * Reading a Reflector's mirrors back from the host in tests, where "absent"
 * must mean NotFound: any other failure (Forbidden, a server down) rejects,
 * so that a check that something is gone cannot pass for the wrong reason.
 *
 * @module
 */

import type { Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { serviceNameLabel } from "../../lib/kube/object.ts";
import { endpointSlices, services } from "../../lib/kube/resource.ts";
import type { RestClient } from "../../lib/kube/rest.ts";
import { isNotFound } from "../../lib/kube/status_error.ts";

/** What `read` resolves to, or undefined if it rejects with NotFound; any other error rejects. */
export async function unlessNotFound<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** A mirror as the host holds it. */
export interface HostMirror {
  /** The mirror Service; undefined when the host answers NotFound. */
  service: Service | undefined;
  /** The slices labelled with the Service's name. */
  slices: EndpointSlice[];
  /** Every endpoint of those slices as `address:ready`, sorted. */
  endpoints: string[];
}

/** The host's mirror of `namespace/name`. */
export async function mirrorOf(
  host: RestClient,
  namespace: string,
  name: string,
): Promise<HostMirror> {
  const service = await unlessNotFound(host.get<Service>(services, name, { namespace }));
  const slices = await host.list<EndpointSlice>(endpointSlices, {
    namespace,
    labelSelector: `${serviceNameLabel}=${name}`,
  });
  const endpoints = slices.items.flatMap((slice) =>
    (slice.endpoints ?? []).map((endpoint) =>
      `${endpoint.addresses[0]}:${endpoint.conditions?.ready ?? "?"}`
    )
  ).sort();
  return { service, slices: slices.items, endpoints };
}
