/**
 * What a host model wants the host to hold for one key, as the applier
 * takes it: one owner object (a mirror Service), written first, and the
 * objects it owns (its EndpointSlices, its core Endpoints), which carry a
 * controller reference with the owner's uid, and so are a function of the
 * owner as the host holds it after its write.
 *
 * @module
 */

import type { KubeObject } from "../kube/object.ts";
import type { HostKind, SlottedKind } from "./host_kind.ts";

/** A field the sources of a key disagree on: the first source's value is written. */
export interface MergeConflict {
  /** The field, e.g. `type`, `sessionAffinity`, `ports[http]`. */
  field: string;
  /** The winning source, then each source that disagrees with it, in age order. */
  sources: string[];
}

/** The owner of a key's objects, as the host holds it: its name and uid. */
export interface HostOwner {
  /** Its name. */
  readonly name: string;
  /** Its uid, assigned by the host. */
  readonly uid: string;
}

/** Where a model's objects of one key are, whatever they hold. */
export interface HostLayout {
  /** The key: `namespace/name` of the owner. */
  readonly key: string;
  /** The owner's kind. */
  readonly owner: HostKind;
  /** Kinds the host holds many of per key, each by the Service key they are indexed by. */
  readonly sets: readonly { readonly kind: SlottedKind; readonly serviceKey: string }[];
  /** Kinds the host holds one of per key, each at its own key. */
  readonly singles: readonly { readonly kind: HostKind; readonly key: string }[];
}

/** The objects a key's owner owns, as {@linkcode DesiredHost.ownedBy} gives them. */
export interface OwnedObjects {
  /** The wanted objects of each set of the layout, in its order. */
  readonly sets: readonly KubeObject[][];
  /** The wanted object of each single of the layout, in its order; undefined: none is. */
  readonly singles: readonly (KubeObject | undefined)[];
}

/** The desired host objects of one key. */
export interface DesiredHost {
  /** Where they go. */
  readonly layout: HostLayout;
  /** The owner object. */
  readonly owner: KubeObject;
  /** Where the sources disagree (the winner's value is written); empty when they agree. */
  readonly conflicts: readonly MergeConflict[];
  /** The owned objects, owned by `owner` as the host holds it. Pure: equal owners, deep-equal objects. */
  ownedBy(owner: HostOwner): OwnedObjects;
  /**
   * The owner as it should be once its owned objects are written, for an
   * owner that shows what only their writes tell (a ServiceImport's IPs
   * are its derived Service's): given the singles as the host holds them
   * after the writes, in the layout's order. Omitted: `owner` as it is.
   */
  completed?(singles: readonly (KubeObject | undefined)[]): KubeObject;
}
