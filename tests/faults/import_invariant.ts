/**
 * The shared invariant for the MCS dialect: the host's imports say exactly
 * what the sources export by ServiceExport.
 *
 * For every Service a source exports (a ServiceExport of its namespace and
 * name exists, its selector matches, it is not written by a Reflector and
 * not ExternalName), the host holds a ServiceImport of that key with the
 * project's MCS marks, the union of the exports' ports by name (the oldest
 * export's where they disagree), the exporting sources as its clusters,
 * and, per source (the slices' source-cluster label), that source's
 * endpoints (address and readiness) in slices labelled with the import's
 * name. The host holds no other import, and no other slice of the MCS
 * dialect. Nothing unowned touched is the mirror invariant's
 * `guardUnowned`, shared by both dialects.
 *
 * @module
 */

import type { Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { endpointSlices, services } from "../../lib/kube/resource.ts";
import type { RestClient } from "../../lib/kube/rest.ts";
import {
  mcsServiceNameLabel,
  type ServiceExport,
  serviceExports,
  type ServiceImport,
  serviceImports,
} from "../../lib/mcs/api.ts";
import { apiLabel, isMcsObject, isReflected, sourceClusterLabel } from "../../lib/ownership.ts";
import { poll } from "../support/poll.ts";
import { endpointsOf, portsOf, type SourceView, unionOfPorts } from "./invariant.ts";

/** By import key: its ports, its clusters, and its endpoints per source. */
type Imports = Map<
  string,
  { ports: string[]; clusters: string[]; endpoints: Record<string, string[]> }
>;

const keyOf = (object: { metadata?: { namespace?: string; name?: string } }) =>
  `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;

/** What the sources export by ServiceExport, read now. */
async function exportedImports(sources: readonly SourceView[]): Promise<Imports> {
  const exporters = new Map<string, { source: string; service: Service; since?: string }[]>();
  const endpoints = new Map<string, Record<string, string[]>>();
  for (const source of sources) {
    const exportsByKey = new Map(
      (await source.rest.list<ServiceExport>(serviceExports())).items.map((
        each,
      ) => [keyOf(each), each]),
    );
    const selected = (await source.rest.list<Service>(services, { labelSelector: source.selector }))
      .items.filter((service) =>
        !isReflected(service) && service.spec?.type !== "ExternalName" &&
        exportsByKey.has(keyOf(service))
      );
    const slices = (await source.rest.list<EndpointSlice>(endpointSlices)).items;
    for (const service of selected) {
      const key = keyOf(service);
      const since = exportsByKey.get(key)?.metadata?.creationTimestamp;
      exporters.set(key, [...exporters.get(key) ?? [], {
        source: source.name,
        service,
        ...(since ? { since } : {}),
      }]);
      const own = slices.filter((slice) =>
        slice.metadata?.namespace === service.metadata?.namespace &&
        slice.metadata?.labels?.["kubernetes.io/service-name"] === service.metadata?.name
      );
      const addresses = endpointsOf(own);
      endpoints.set(key, {
        ...endpoints.get(key),
        ...(addresses.length > 0 ? { [source.name]: addresses } : {}),
      });
    }
  }
  const imports: Imports = new Map();
  for (const [key, each] of exporters) {
    imports.set(key, {
      ports: unionOfPorts(each),
      clusters: each.map((exporter) => exporter.source).sort(),
      endpoints: endpoints.get(key) ?? {},
    });
  }
  return imports;
}

/** What the host imports, read now, in the shape of {@linkcode exportedImports}. */
async function hostImports(host: RestClient): Promise<Imports> {
  const imports: Imports = new Map();
  for (const each of (await host.list<ServiceImport>(serviceImports())).items.filter(isMcsObject)) {
    imports.set(keyOf(each), {
      ports: portsOf(each),
      clusters: (each.status?.clusters ?? []).map((cluster) => cluster.cluster).sort(),
      endpoints: {},
    });
  }
  const slices = (await host.list<EndpointSlice>(endpointSlices, {
    labelSelector: `${apiLabel}=mcs,${mcsServiceNameLabel}`,
  })).items;
  const grouped = new Map<string, EndpointSlice[]>();
  for (const slice of slices) {
    const id = JSON.stringify([
      `${slice.metadata?.namespace}/${slice.metadata?.labels?.[mcsServiceNameLabel]}`,
      slice.metadata?.labels?.[sourceClusterLabel] ?? "",
    ]);
    grouped.set(id, [...grouped.get(id) ?? [], slice]);
  }
  for (const [id, group] of grouped) {
    const [key, source] = JSON.parse(id) as [string, string];
    const found = imports.get(key) ?? { ports: [], clusters: [], endpoints: {} };
    found.endpoints[source] = endpointsOf(group);
    imports.set(key, found);
  }
  return imports;
}

/** Sorted and printable, so that two views compare as strings and a difference reads well. */
function printed(imports: Imports): string {
  return JSON.stringify(
    [...imports].sort(([a], [b]) => a < b ? -1 : 1).map(([key, each]) => [
      key,
      each.ports,
      each.clusters,
      Object.fromEntries(Object.entries(each.endpoints).sort(([a], [b]) => a < b ? -1 : 1)),
    ]),
  );
}

/**
 * Waits until the host's imports equal what `sources` export (see the
 * module doc) and resolves with how long that took, in ms; rejects with
 * both views when it does not happen in time.
 */
export async function importsConverged(
  host: RestClient,
  sources: readonly SourceView[],
  options: { timeoutMs?: number } = {},
): Promise<number> {
  const started = performance.now();
  let last = { want: "", have: "" };
  await poll(async () => {
    const [want, have] = await Promise.all([exportedImports(sources), hostImports(host)]);
    last = { want: printed(want), have: printed(have) };
    return last.want === last.have || undefined;
  }, {
    description: "the host's imports to equal the sources' exports",
    timeoutMs: options.timeoutMs ?? 60_000,
  }).catch((error) => {
    throw new Error(`${error.message}\n  sources say: ${last.want}\n  host holds:  ${last.have}`, {
      cause: error,
    });
  });
  return performance.now() - started;
}
