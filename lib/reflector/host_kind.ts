/**
 * How the applier treats one kind of host object a host model writes: the
 * seam between a model (which says what it wants) and the applier (which
 * writes the difference). A kind names its resource, which objects of it
 * the Reflector owns (`../ownership.ts`: nothing else is ever written or
 * deleted), and how a desired object is compared with the host's and
 * written over it, by the model's field tables, so that a converged key
 * writes nothing.
 *
 * @module
 */

import type { KubeObject } from "../kube/object.ts";
import type { ResourceType } from "../kube/resource.ts";

/** One kind of host object, as the applier writes it. */
export interface HostKind<T extends KubeObject = KubeObject> {
  /** The resource, whose name also names the host cache the applier reads. */
  readonly type: ResourceType;
  /** Whether the Reflector owns `object`: only those are written or deleted. */
  owns(object: T): boolean;
  /** Whether `current` (owned) already holds `desired` in every field the model owns. */
  matches(current: T, desired: T): boolean;
  /** The update that makes `current` hold `desired`: carries `current`'s identity and version. */
  updated(current: T, desired: T): T;
  /** Whether `desired` cannot be written over `current` in place: it is deleted and created again. */
  replaces?(current: T, desired: T): boolean;
  /**
   * For a kind whose status is a subresource the Reflector owns part of
   * (a ServiceImport's clusters): how it is compared and written, after
   * the object itself.
   */
  readonly status?: {
    /** Whether `current` already holds the status of `desired` the model owns. */
    matches(current: T, desired: T): boolean;
    /** The status update that makes `current` hold it: `current` with `desired`'s status. */
    updated(current: T, desired: T): T;
  };
}

/**
 * A kind the host holds many of per key, each standing for one slot of one
 * source (a mirror's EndpointSlices): matched to the desired objects by
 * slot, whatever their names.
 */
export interface SlottedKind<T extends KubeObject = KubeObject> extends HostKind<T> {
  /** What identifies `object` among the key's objects; undefined for one that is not owned or has none. */
  slot(object: T): string | undefined;
  /** The source `object` is of: a kept source's objects are left as they are. */
  source(object: T): string;
}

/** `desired` carrying `current`'s name, identity and version: the update of a wholly written object. */
export function withVersion<T extends KubeObject>(desired: T, current: T): T {
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      name: current.metadata?.name ?? "",
      resourceVersion: current.metadata?.resourceVersion ?? "",
      uid: current.metadata?.uid ?? "",
    },
  };
}
