/**
 * The reconcile contract, as controller-runtime states it:
 *
 * - Reconciliation is level-based. A request is only a key
 *   (`namespace/name`); it carries no event and no object. The reconciler
 *   reads the current state from caches and makes the world match it, so
 *   it gives the same result however many events led to the call.
 * - The outcome is a value, and one place (`controller.ts`) turns it into a
 *   queue action:
 *
 *   | outcome            | queue action                                         |
 *   | ------------------ | ---------------------------------------------------- |
 *   | `done()`           | forget the key's failures                            |
 *   | `requeueAfter(ms)` | forget failures, look again after `ms`               |
 *   | `retry(error)`     | look again after the rate-limited backoff            |
 *   | `terminal(error)`  | forget failures and report; only a new event retries |
 *   | (thrown error)     | same as `retry(error)`                               |
 *
 * A key is never dropped after some number of retries: a persistent error
 * keeps being retried at the backoff's cap, so state never silently diverges.
 *
 * @module
 */

import { cannot } from "../cannot.ts";

/** What a reconcile decided. */
export type Outcome =
  | { readonly kind: "done" }
  | { readonly kind: "requeueAfter"; readonly delayMs: number }
  | { readonly kind: "retry"; readonly error: unknown }
  | { readonly kind: "terminal"; readonly error: unknown };

/** Options given to a reconcile call. */
export interface ReconcileContext {
  /** Aborted when the controller shuts down; long calls should stop. */
  signal: AbortSignal;
  /** Identifies this attempt in logs. */
  reconcileId: string;
}

/** Makes the world match the desired state for one key. */
export type Reconciler = (key: string, context: ReconcileContext) => Promise<Outcome>;

const doneOutcome: Outcome = Object.freeze({ kind: "done" });

/** The key is in the desired state. */
export function done(): Outcome {
  return doneOutcome;
}

/** The key is fine for now; look at it again after `delayMs`. */
export function requeueAfter(delayMs: number): Outcome {
  if (!(delayMs >= 0) || !Number.isFinite(delayMs)) {
    throw new RangeError(
      cannot("requeue", "'delayMs' must be a finite number of at least 0", delayMs),
    );
  }
  return { kind: "requeueAfter", delayMs };
}

/** A transient failure: try again with backoff. */
export function retry(error: unknown): Outcome {
  return { kind: "retry", error };
}

/** A failure that retrying cannot fix (e.g. invalid input); wait for the next change. */
export function terminal(error: unknown): Outcome {
  return { kind: "terminal", error };
}
