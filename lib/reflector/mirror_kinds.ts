/**
 * The kinds of host object the mirror model writes (`host_kind.ts`): the
 * mirror Service, its EndpointSlices (one set per key, by source and
 * slot) and its core v1 Endpoints, each owned as `../ownership.ts` says
 * and compared by the field tables of `mirror_fields.ts` (through
 * `projection.ts`).
 *
 * @module
 */

import type { Endpoints, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { type KubeObject, serviceNameLabel } from "../kube/object.ts";
import { endpoints, endpointSlices, services } from "../kube/resource.ts";
import {
  isMirrorObject,
  isOurEndpoints,
  isOurSlice,
  sliceSlotLabel,
  sliceSource,
  sourceClusterLabel,
} from "../ownership.ts";
import type { HostLayout } from "./desired_host.ts";
import { type HostKind, type SlottedKind, withVersion } from "./host_kind.ts";
import {
  coreEndpointsProjection,
  mergedService,
  sameProjection,
  serviceProjection,
  sliceProjection,
  updatableInPlace,
} from "./projection.ts";

/**
 * A mirror Service: ours when it carries this project's managed-by label
 * or the original's `reflected` annotation (adopted), and is of no other
 * API; replaced when a change cannot be made in place (its cluster IP is
 * immutable).
 */
export const mirrorServiceKind: HostKind<Service> = {
  type: services,
  owns: isMirrorObject,
  matches: (current, desired) =>
    sameProjection(serviceProjection(current, desired), serviceProjection(desired, desired)),
  updated: mergedService,
  replaces: (current, desired) => !updatableInPlace(current, desired),
};

/** A mirror's EndpointSlice: ours through its labels, of no other API; one per source and slot. */
export const mirrorSliceKind: SlottedKind<EndpointSlice> = {
  type: endpointSlices,
  owns: isMirrorSlice,
  matches: (current, desired) => sameProjection(sliceProjection(current), sliceProjection(desired)),
  updated: (current, desired) => withVersion(desired, current),
  slot: slotOf,
  source: sliceSource,
};

/** A mirror's core v1 Endpoints: ours through its labels, of no other API; it bears the Service's name. */
export const mirrorEndpointsKind: HostKind<Endpoints> = {
  type: endpoints,
  owns: (object) => isOurEndpoints(object) && isMirrorObject(object),
  matches: (current, desired) =>
    sameProjection(coreEndpointsProjection(current), coreEndpointsProjection(desired)),
  updated: (current, desired) => withVersion(desired, current),
};

/** Where the mirror of `key` is: its Service, its slices, its core Endpoints. */
export function mirrorLayout(key: string): HostLayout {
  return {
    key,
    owner: mirrorServiceKind as HostKind,
    sets: [{ kind: mirrorSliceKind as SlottedKind, serviceKey: key }],
    singles: [{ kind: mirrorEndpointsKind as HostKind, key }],
  };
}

/** Whether `slice` is an EndpointSlice of a mirror, written by a Reflector. */
export function isMirrorSlice(slice: KubeObject): boolean {
  return isOurSlice(slice) && isMirrorObject(slice);
}

/**
 * What identifies one of the Reflector's slices among all of them: its
 * Service, source and slot labels; undefined for a slice that is not the
 * Reflector's or carries no slot.
 */
function slotOf(slice: EndpointSlice): string | undefined {
  if (!isMirrorSlice(slice)) return undefined;
  const labels = slice.metadata?.labels ?? {};
  const parts = [serviceNameLabel, sourceClusterLabel, sliceSlotLabel].map((label) =>
    labels[label]
  );
  return parts.every((part) => part !== undefined) ? JSON.stringify(parts) : undefined;
}
