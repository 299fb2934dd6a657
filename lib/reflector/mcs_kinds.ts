/**
 * The kinds of host object the MCS model writes (`host_kind.ts`): the
 * ServiceImport (its spec and owned metadata compared whole, its clusters
 * written through the status subresource), the derived Service (compared
 * by the mirror's field tables) and its EndpointSlices (one set per key,
 * by source and slot). Each is ours only when it carries this project's
 * marks and the API label `mcs` (`../ownership.ts`), so the mirror model never takes
 * the MCS model's objects for its own, nor the other way round.
 *
 * @module
 */

import type { Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import type { KubeObject } from "../kube/object.ts";
import { mcsServiceNameLabel, type ServiceImport, serviceImports } from "../mcs/api.ts";
import { isMcsObject, isOurSlice, sliceSlotLabel, sourceClusterLabel } from "../ownership.ts";
import { ownedMetadata } from "./mirror_fields.ts";
import { type HostKind, type SlottedKind, withVersion } from "./host_kind.ts";
import { mirrorServiceKind, mirrorSliceKind } from "./mirror_kinds.ts";
import { sameProjection } from "./projection.ts";
import type { HostLayout } from "./desired_host.ts";

/** `value` as JSON with every object's keys sorted, as a CR comes back from the server. */
function canonical(value: unknown): string {
  return JSON.stringify(
    value,
    (_, item) =>
      item && typeof item === "object" && !Array.isArray(item)
        ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0))
        : item,
  );
}

/** The ServiceImport of a key: spec, labels, annotations and owner references all the model's. */
export const serviceImportKind: HostKind<ServiceImport> = {
  type: serviceImports(),
  owns: isMcsObject,
  matches: (current, desired) =>
    canonical(current.spec) === canonical(desired.spec) &&
    sameProjection(ownedMetadata(current as Service), ownedMetadata(desired as Service)),
  updated: (current, desired) => ({
    ...withVersion(desired, current),
    ...(current.status ? { status: current.status } : {}),
  }),
  status: {
    matches: (current, desired) =>
      canonical(current.status?.clusters ?? []) === canonical(desired.status?.clusters ?? []),
    updated: (current, desired) => ({
      ...current,
      status: { ...current.status, clusters: desired.status?.clusters ?? [] },
    }),
  },
};

/** The derived Service of a ServiceImport: a mirror Service in all but its marks. */
export const derivedServiceKind: HostKind<Service> = {
  ...mirrorServiceKind,
  owns: isMcsObject,
};

/** Whether `slice` is an EndpointSlice of an import, written by a Reflector. */
export function isImportSlice(slice: KubeObject): boolean {
  return isOurSlice(slice) && isMcsObject(slice);
}

/** An import's EndpointSlice: ours through its labels and the API label; one per source and slot. */
export const importSliceKind: SlottedKind<EndpointSlice> = {
  ...mirrorSliceKind,
  owns: isImportSlice,
  slot: (slice) => {
    if (!isImportSlice(slice)) return undefined;
    const labels = slice.metadata?.labels ?? {};
    const parts = [mcsServiceNameLabel, sourceClusterLabel, sliceSlotLabel].map((label) =>
      labels[label]
    );
    return parts.every((part) => part !== undefined) ? JSON.stringify(parts) : undefined;
  },
};

/** Where the import of `key` is: its ServiceImport, its derived Service (`derived`), the slices. */
export function importLayout(key: string, derived: string): HostLayout {
  const [namespace = ""] = key.split("/");
  const derivedKey = `${namespace}/${derived}`;
  return {
    key,
    owner: serviceImportKind,
    sets: [{ kind: importSliceKind, serviceKey: derivedKey }],
    singles: [{ kind: derivedServiceKind, key: derivedKey }],
  };
}
