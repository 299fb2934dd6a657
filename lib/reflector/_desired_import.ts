/**
 * The desired host state of one exported Service in the Multi-Cluster
 * Services API (KEP-1645), as pure functions of the winning claims' source
 * objects (each carrying its ServiceExport's creation time as the Service's,
 * and its exported labels and annotations as the Service's, see
 * `mcs_model.ts`): the ServiceImport, its derived Service and the derived
 * Service's EndpointSlices, one run per source cluster.
 *
 * The merge is the mirror's (`_desired_merge.ts`: ports the union by name,
 * the oldest export winning every disagreement), and so are the derived
 * Service's spec and the slices' endpoints (`desired.ts`); what differs is
 * the naming and the ownership:
 *
 * - the ServiceImport has the exported Service's namespace and name, the
 *   oldest export's exported labels and annotations, and names its derived
 *   Service in {@linkcode derivedServiceAnnotation};
 * - the derived Service is `derived-<hash of the name>` (a name no user
 *   Service has by accident), and it and the slices are owned by the
 *   ServiceImport (a controller reference), so garbage collection follows it;
 * - the slices carry the derived Service's name as `kubernetes.io/service-name`
 *   (kube-proxy routes them) and the exported name as the MCS API's
 *   `multicluster.kubernetes.io/service-name` (CoreDNS answers for them).
 *
 * Everything carries this project's marks and {@linkcode apiLabel} `mcs`.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Service, ServicePort } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import type { OwnerReference } from "kubernetes-types/meta/v1.d.ts";
import {
  derivedServiceAnnotation,
  mcsGroup,
  mcsServiceNameLabel,
  type ServiceImport,
  type ServiceImportPort,
} from "../mcs/api.ts";
import { apiLabel, managedByLabel, managedByValue, mcsApi } from "../ownership.ts";
import { orderedInputs, type SourceObjects } from "./_desired_inputs.ts";
import { sortedByKey } from "./_desired_service.ts";
import { desiredMirror } from "./desired.ts";
import type { HostOwner, MergeConflict } from "./desired_host.ts";

/** The derived Service's name of the exported Service `name`: `derived-` and 16 hex digits. */
export function derivedServiceName(name: string): string {
  return `derived-${createHash("sha256").update(name).digest("hex").slice(0, 16)}`;
}

/** The desired import of one key, before and after its derived Service is written. */
export interface DesiredImport {
  /** The ServiceImport, its `ips` those of `derivedIps` (none yet: none). */
  serviceImport(derivedIps: readonly string[]): ServiceImport;
  /** The derived Service, owned by the ServiceImport `owner`. */
  derivedService(owner: HostOwner): Service;
  /** The derived Service's EndpointSlices, owned by the ServiceImport `owner`. */
  endpointSlices(owner: HostOwner): EndpointSlice[];
  /** Where the exports disagree (the oldest's value wins); empty when they agree. */
  conflicts: readonly MergeConflict[];
}

/**
 * The import of the key of `inputs` (at least one export, none of them
 * ExternalName: the MCS API exports no ExternalName Service).
 *
 * @throws {TypeError} As `mirrorService`.
 */
export function desiredImport(inputs: readonly SourceObjects[]): DesiredImport {
  const mirror = desiredMirror(inputs, { legacyEndpoints: false });
  const { name = "", namespace = "", labels = {}, annotations = {} } = mirror.service.metadata ??
    {};
  const derived = derivedServiceName(name);
  const marks = { [managedByLabel]: managedByValue, [apiLabel]: mcsApi };
  const spec = mirror.service.spec ?? {};
  const [winner] = orderedInputs(inputs, "import a Service");
  const winning = winner.service.spec ?? {};
  const headless = spec.clusterIP === "None";
  const contributors = [...new Set(inputs.map((input) => input.source))].sort();
  return {
    conflicts: importConflicts(inputs, mirror.conflicts),
    serviceImport: (derivedIps) => ({
      apiVersion: `${mcsGroup}/v1beta1`,
      kind: "ServiceImport",
      metadata: {
        name,
        namespace,
        labels: sortedByKey({ ...userEntries(labels), ...marks }),
        annotations: sortedByKey({
          ...userEntries(annotations),
          [derivedServiceAnnotation]: derived,
        }),
      },
      spec: {
        ports: (spec.ports ?? []).map(importPort),
        ...(headless || derivedIps.length === 0 ? {} : { ips: [...derivedIps] }),
        type: headless ? "Headless" : "ClusterSetIP",
        ...(spec.sessionAffinity ? { sessionAffinity: spec.sessionAffinity } : {}),
        ...(spec.sessionAffinityConfig
          ? { sessionAffinityConfig: structuredClone(spec.sessionAffinityConfig) }
          : {}),
        ...(spec.ipFamilies ? { ipFamilies: [...spec.ipFamilies] } : {}),
        ...(winning.internalTrafficPolicy
          ? { internalTrafficPolicy: winning.internalTrafficPolicy }
          : {}),
        ...(winning.trafficDistribution
          ? { trafficDistribution: winning.trafficDistribution }
          : {}),
      },
      status: { clusters: contributors.map((cluster) => ({ cluster })) },
    }),
    derivedService: (owner) => ({
      ...mirror.service,
      metadata: {
        name: derived,
        namespace,
        labels: sortedByKey({ ...marks, [mcsServiceNameLabel]: name }),
        ownerReferences: [importReference(owner)],
      },
    }),
    endpointSlices: (owner) =>
      mirror.endpointsFor({ name: derived, uid: owner.uid }).endpointSlices.map((slice) => ({
        ...slice,
        metadata: {
          ...slice.metadata,
          labels: sortedByKey({
            ...slice.metadata?.labels,
            ...marks,
            [mcsServiceNameLabel]: name,
          }),
          ownerReferences: [importReference(owner)],
        },
      })),
  };
}

/** Fields a ServiceImport carries that the mirror's merge does not compare, each as text. */
const importCompared: Record<string, (input: SourceObjects) => string | undefined> = {
  internalTrafficPolicy: ({ service }) => service.spec?.internalTrafficPolicy,
  trafficDistribution: ({ service }) => service.spec?.trafficDistribution,
  labels: ({ service }) => JSON.stringify(sortedByKey(service.metadata?.labels ?? {})),
  annotations: ({ service }) => JSON.stringify(sortedByKey(service.metadata?.annotations ?? {})),
};

/** Fields of the mirror's merge that an import does not carry. */
const notImported = new Set(["externalName", "publishNotReadyAddresses"]);

/**
 * The conflicts of an import: the mirror's merge's, but for fields an
 * import does not carry, and those of the fields only an import carries
 * (the oldest export's value wins each).
 */
function importConflicts(
  inputs: readonly SourceObjects[],
  merged: readonly MergeConflict[],
): MergeConflict[] {
  const [winner, ...others] = orderedInputs(inputs, "import a Service");
  const conflicts = merged.filter((each) => !notImported.has(each.field));
  for (const [field, read] of Object.entries(importCompared)) {
    const mine = read(winner);
    const disagreeing = others.filter((other) => {
      const theirs = read(other);
      return mine !== undefined && theirs !== undefined && theirs !== mine;
    });
    if (disagreeing.length > 0) {
      conflicts.push({
        field,
        sources: [winner.source, ...disagreeing.map((each) => each.source)],
      });
    }
  }
  return conflicts;
}

/** A ServiceImport port of a derived Service's port (no target port: an import has none). */
function importPort(port: ServicePort): ServiceImportPort {
  return {
    ...(port.name ? { name: port.name } : {}),
    protocol: port.protocol ?? "TCP",
    ...(port.appProtocol ? { appProtocol: port.appProtocol } : {}),
    port: port.port,
  };
}

/** `values` without this project's own keys, which the mirror's merge adds. */
function userEntries(values: Record<string, string>): Record<string, string> {
  const ours = (key: string) => key.startsWith(ourPrefix) || key === managedByLabel;
  return Object.fromEntries(Object.entries(values).filter(([key]) => !ours(key)));
}

/** The prefix of this project's (and the original's) own labels and annotations. */
const ourPrefix = "service-reflector.squat.ai/";

/** The controller reference of the derived Service and slices to the ServiceImport `owner`. */
function importReference(owner: HostOwner): OwnerReference {
  return {
    apiVersion: `${mcsGroup}/v1beta1`,
    kind: "ServiceImport",
    name: owner.name,
    uid: owner.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}
