/**
 * The parts of host objects the Reflector manages, in a form where
 * server-side defaults and server-owned fields do not show: two objects
 * with equal projections need no write. Comparing projections (and never
 * whole objects) is what makes a no-op resync write nothing.
 *
 * @module
 */

import type { Endpoints, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import {
  coreEndpointsFields,
  endpointSliceFields,
  mergedSpec,
  ownedMetadata,
  project,
  specProjection,
} from "./mirror_fields.ts";

/**
 * The managed fields of a mirror Service, compared with `reference` (the
 * desired mirror): its owned metadata (labels, annotations, owner
 * references, finalizers) exactly, and its spec through the field table of
 * `mirror_fields.ts`.
 */
export function serviceProjection(service: Service, reference: Service): unknown {
  return {
    metadata: ownedMetadata(service),
    spec: specProjection(service.spec ?? {}, reference.spec ?? {}),
  };
}

/** Every field of a mirror EndpointSlice the Reflector writes (it writes them all). */
export function sliceProjection(slice: EndpointSlice): unknown {
  return project(slice, endpointSliceFields);
}

/** Every field of a mirror's core v1 Endpoints the Reflector writes (it writes them all). */
export function coreEndpointsProjection(endpoints: Endpoints): unknown {
  return project(endpoints, coreEndpointsFields);
}

/**
 * `current` with the owned metadata of `desired` (its labels and
 * annotations, its owner references and finalizers: none) and the spec the
 * host should hold (`mergedSpec`): the update that makes
 * {@linkcode serviceProjection} of the two equal.
 */
export function mergedService(current: Service, desired: Service): Service {
  const { ownerReferences: _owners, finalizers: _finalizers, ...kept } = current.metadata ?? {};
  const { ownerReferences, finalizers } = desired.metadata ?? {};
  return {
    ...current,
    metadata: {
      ...kept,
      labels: desired.metadata?.labels ?? {},
      annotations: desired.metadata?.annotations ?? {},
      ...(ownerReferences ? { ownerReferences } : {}),
      ...(finalizers ? { finalizers } : {}),
    },
    spec: mergedSpec(current.spec ?? {}, desired.spec ?? {}),
  };
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
