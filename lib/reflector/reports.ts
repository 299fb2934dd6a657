/**
 * What a reconcile found worth telling, beyond its outcome: the reconcile
 * decides and returns these; the reporter (`reporter.ts`) alone turns them
 * into observer calls, Warning Events and the state its gauges read.
 *
 * A reconcile that got as far as writing returns its key's `merged` and
 * `claimed` reports (with nothing in conflict, that clears what was); a key
 * no source exports any more returns `withdrawn`. Each is about one host
 * key, whose owner object (a mirror Service) carries the Events.
 *
 * @module
 */

import type { ObjectReference } from "kubernetes-types/core/v1.d.ts";
import type { KubeObject } from "../kube/object.ts";
import type { NameClash } from "./applier.ts";
import type { MergeConflict } from "./desired_host.ts";

/** One thing a reconcile found. */
export type Report =
  | {
    /** The key is written from `contributors`; `conflicts` are where they disagree (empty: they agree). */
    readonly kind: "merged";
    readonly key: string;
    readonly owner: ObjectReference;
    readonly contributors: readonly string[];
    readonly conflicts: readonly MergeConflict[];
  }
  | {
    /** Who has the key's name; `losers` (empty: none) are not written under it. */
    readonly kind: "claimed";
    readonly key: string;
    readonly owner: ObjectReference;
    readonly winner: string;
    readonly losers: readonly string[];
  }
  | {
    /** No source exports the key any more: nothing of it is in conflict or contributed. */
    readonly kind: "withdrawn";
    readonly key: string;
  }
  | {
    /** A name one of the key's objects asked for is held by an object not the Reflector's. */
    readonly kind: "clash";
    readonly key: string;
    readonly owner: ObjectReference;
    readonly clash: NameClash;
  }
  | {
    /** Objects the Reflector does not own add endpoints to the key (see the mirror model). */
    readonly kind: "strays";
    readonly key: string;
    readonly owner: ObjectReference;
    readonly strays: readonly KubeObject[];
  }
  | {
    /** The host holds an owner object of the key that is not the Reflector's: it is left alone. */
    readonly kind: "unowned";
    readonly key: string;
    readonly holder: ObjectReference;
  }
  | {
    /** The key waits for `namespace` to appear in the host; told with its first key only. */
    readonly kind: "namespace-missing";
    readonly key: string;
    readonly namespace: string;
  };
