/**
 * What a host holds of one import in the MCS dialect, read as admin: its
 * ServiceImport, its derived Service, and its EndpointSlices with their
 * addresses by source cluster.
 *
 * @module
 */

import type { Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { endpointSlices, services } from "../../lib/kube/resource.ts";
import type { RestClient } from "../../lib/kube/rest.ts";
import { isNotFound } from "../../lib/kube/status_error.ts";
import { mcsServiceNameLabel, type ServiceImport, serviceImports } from "../../lib/mcs/api.ts";
import { derivedServiceName } from "../../lib/reflector/_desired_import.ts";

/** One import as the host holds it. */
export interface HostImport {
  /** The ServiceImport; undefined when there is none. */
  serviceImport: ServiceImport | undefined;
  /** The derived Service; undefined when there is none. */
  derived: Service | undefined;
  /** The import's slices. */
  slices: EndpointSlice[];
  /** Per source cluster, its slices' addresses, comma-separated. */
  bySource: Record<string, string>;
}

/** The host's import of `namespace/name`, now. */
export async function hostImport(
  rest: RestClient,
  namespace: string,
  name: string,
): Promise<HostImport> {
  const missing = (error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw error;
  };
  const serviceImport = await rest.get<ServiceImport>(serviceImports(), name, { namespace })
    .catch(missing);
  const derived = await rest.get<Service>(services, derivedServiceName(name), { namespace })
    .catch(missing);
  const { items } = await rest.list<EndpointSlice>(endpointSlices, {
    namespace,
    labelSelector: `${mcsServiceNameLabel}=${name}`,
  });
  const bySource = Object.fromEntries(
    items.map((slice) => [
      slice.metadata?.labels?.["multicluster.kubernetes.io/source-cluster"] ?? "",
      (slice.endpoints ?? []).map((each) => each.addresses[0]).join(","),
    ]),
  );
  return { serviceImport, derived, slices: items, bySource };
}
