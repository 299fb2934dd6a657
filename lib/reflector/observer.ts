/**
 * What a Reflector tells about its work: one observer object with optional
 * methods, given to the `Reflector` once and used by every part of it
 * (the controller's attempts, the applier's writes, the sources' discovery
 * and informers, the host informers). The command logs and counts through
 * one (`lib/cli/_reflector.ts`), the metrics are one (`metrics.ts`), and
 * tests record through one; {@linkcode fanOut} composes them.
 *
 * Contract for implementations:
 *
 * - Methods are called synchronously, on the Reflector's own paths (a
 *   worker in the middle of a reconcile, an informer's event loop), so they
 *   must be cheap: count, log, record. They are told, never asked: nothing
 *   they return is read.
 * - They must not throw. One that does is a bug, and it is not hidden: it
 *   fails what it was told from. A throwing `onWrite`, `onWriteDenied`, `onUnowned`,
 *   `onNameClash`, `onStrays`, `onMergeConflict`, `onNameCollision` or `onNamespaceMissing`
 *   fails the reconcile (the key is retried); a
 *   throwing `onAttempt`, `onMode`, `onStale` or discovery `onInformerError` stops the
 *   controller or the source, and `Reflector.run` passes the error on once
 *   everything stopped. Only an informer's own loop survives a throwing
 *   `onInformerError` (lib/kube/informer.ts guards its reporter).
 * - Objects passed are the Reflector's own values, never cache objects;
 *   they may be kept.
 *
 * @module
 */

import type { Attempt } from "../controller/controller.ts";
import type { KubeObject } from "../kube/object.ts";
import type { NameClash, WriteObserver } from "./applier.ts";
import type { MergeConflict } from "./desired.ts";
import type { SourceObserver } from "./source.ts";

export type { InformerFailure } from "./informer_failure.ts";

/**
 * Told of what a Reflector does; every method is optional. See the module
 * doc for the contract. The parts' own events are theirs: writes
 * ({@linkcode WriteObserver}) and sources' health ({@linkcode SourceObserver}).
 */
export interface ReflectorObserver extends WriteObserver, SourceObserver {
  /** A reconcile attempt ended; its outcome has been applied to the queue. */
  onAttempt?(attempt: Attempt): void;
  /** A source exports `key`, but the same-named host Service is not the Reflector's: it is left alone. */
  onUnowned?(key: string): void;
  /**
   * A name the mirror of `key` asked for is held by an object the Reflector
   * does not own; that object is left alone (see {@linkcode NameClash}).
   */
  onNameClash?(key: string, clash: NameClash): void;
  /**
   * The mirror of `key` has endpoint objects the Reflector does not own
   * (written by the host's controllers for a selector added by hand, which
   * the Reflector removed); they are left alone.
   */
  onStrays?(key: string, strays: KubeObject[]): void;
  /** Source `source` became stale (unreachable past `staleAfterMs`: endpoints withdrawn), or fresh again. */
  onStale?(source: string, stale: boolean): void;
  /**
   * The sources of `key` disagree; the oldest source Service's values are
   * the mirror's. Told when the sources in conflict or a winner change,
   * not on every reconcile that finds them still disagreeing.
   */
  onMergeConflict?(key: string, conflicts: readonly MergeConflict[]): void;
  /**
   * A change of source `source`, seen on its watch `ms` before, caused its
   * first host write now (changes that cause none are not told).
   */
  onPropagated?(source: string, ms: number): void;
  /**
   * Several source Services are named `key` in the host (`_name_claims.ts`):
   * `winner` has the name, `losers` are not mirrored under it.
   */
  onNameCollision?(key: string, collision: { winner: string; losers: readonly string[] }): void;
  /**
   * Keys wait for `namespace` in the host (only without `createNamespaces`):
   * told once per namespace while it is missing, with the first key.
   */
  onNamespaceMissing?(namespace: string, key: string): void;
  /** Shutdown progress, for logs: `workers` once the workers have stopped and the informers stop. */
  onStopping?(phase: "workers"): void;
}

type Method = keyof ReflectorObserver;
type Arguments<M extends Method> = Parameters<NonNullable<ReflectorObserver[M]>>;

/**
 * One observer that tells each of `observers`, in the order given, of
 * every event. An observer that throws (a bug, see the module doc) stops
 * the event from reaching those after it, and the error goes on to the
 * Reflector's caller as if that observer had been the only one.
 *
 * @example Metrics and a recording in one
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { fanOut } from "./observer.ts";
 *
 * const keys: string[] = [];
 * let unowned = 0;
 * const observer = fanOut({ onUnowned: (key) => keys.push(key) }, { onUnowned: () => unowned++ });
 * observer.onUnowned?.("shop/web");
 * equal(keys.join(), "shop/web");
 * equal(unowned, 1);
 * ```
 */
export function fanOut(...observers: readonly ReflectorObserver[]): Required<ReflectorObserver> {
  const each = <M extends Method>(method: M) => (...args: Arguments<M>): void => {
    for (const observer of observers) {
      const told = observer[method] as ((...args: Arguments<M>) => void) | undefined;
      told?.apply(observer, args);
    }
  };
  // Typed as Required, so a method added to ReflectorObserver must be added here too.
  return {
    onAttempt: each("onAttempt"),
    onWrite: each("onWrite"),
    onWriteDenied: each("onWriteDenied"),
    onUnowned: each("onUnowned"),
    onNameClash: each("onNameClash"),
    onStrays: each("onStrays"),
    onMergeConflict: each("onMergeConflict"),
    onNameCollision: each("onNameCollision"),
    onPropagated: each("onPropagated"),
    onStale: each("onStale"),
    onNamespaceMissing: each("onNamespaceMissing"),
    onInformerError: each("onInformerError"),
    onInvalidObject: each("onInvalidObject"),
    onReachability: each("onReachability"),
    onMode: each("onMode"),
    onStopping: each("onStopping"),
  };
}
