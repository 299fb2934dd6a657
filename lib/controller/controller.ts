/**
 * Runs a {@linkcode Reconciler} over a rate-limited workqueue with N
 * workers, and is the one place where reconcile outcomes become queue
 * actions (see `reconcile.ts` for the table). A key is processed by one
 * worker at a time (the queue's guarantee); `done(key)` always follows.
 *
 * @module
 */

import type { RateLimitingQueue } from "../workqueue/rate_limiting_queue.ts";
import { runWorkers } from "../workqueue/run_workers.ts";
import { type Outcome, type Reconciler, retry } from "./reconcile.ts";

/** What one reconcile attempt did, for logs and metrics. */
export interface Attempt {
  /** The key. */
  key: string;
  /** The attempt's id. */
  reconcileId: string;
  /** The outcome (a thrown error appears as `retry`). */
  outcome: Outcome;
  /** Wall time of the attempt in ms. */
  durationMs: number;
}

/** Options of {@linkcode runController}. */
export interface ControllerOptions {
  /** Concurrent reconciles. Defaults to 4. */
  workers?: number;
  /** Aborting shuts the queue down; the workers finish their current key and stop. */
  signal: AbortSignal;
  /**
   * The signal reconciles are given, so that the keys in hand can finish
   * their writes after `signal` aborted (a clean shutdown), for as long as
   * this one holds. Defaults to `signal`: the keys in hand see the abort at
   * once.
   */
  workSignal?: AbortSignal;
  /**
   * Told of every attempt, after its outcome was applied. It must not
   * throw: one that does stops the controller, which rejects with its error
   * (a reporter that fails is a bug to see, not a reason to run unobserved).
   */
  onAttempt?: (attempt: Attempt) => void;
}

let sequence = 0;

/** Applies `outcome` for `key` to `queue`. Exported for tests; the controller is its only caller. */
export function applyOutcome(queue: RateLimitingQueue, key: string, outcome: Outcome): void {
  switch (outcome.kind) {
    case "done":
    case "terminal":
      queue.forget(key);
      return;
    case "requeueAfter":
      queue.forget(key);
      queue.addAfter(key, outcome.delayMs);
      return;
    case "retry":
      queue.addRateLimited(key);
      return;
  }
}

/**
 * Reconciles keys from `queue` until `options.signal` aborts and the keys in
 * hand are done. The controller owns the queue's end: it shuts `queue` down
 * when the signal aborts or when it fails, and nobody else needs to.
 *
 * @throws {RangeError} If `workers` is not a positive integer (the queue is shut down).
 * @throws What `onAttempt` threw, once the workers finished their keys.
 */
export async function runController(
  queue: RateLimitingQueue,
  reconcile: Reconciler,
  options: ControllerOptions,
): Promise<void> {
  const { signal, workers = 4, onAttempt, workSignal = signal } = options;
  // On abort, keys still queued are left alone: the next start reconciles
  // everything from fresh caches anyway. Workers finish the key in hand
  // (its calls see `workSignal`) and return.
  const shutDown = () => {
    if (!queue.shuttingDown()) queue.shutDown();
  };
  signal.addEventListener("abort", shutDown, { once: true });
  let failure: { error: unknown } | undefined;
  try {
    if (signal.aborted) shutDown();
    await runWorkers(queue, async (key) => {
      const reconcileId = `${Date.now().toString(36)}-${(++sequence).toString(36)}`;
      const started = performance.now();
      let outcome: Outcome;
      try {
        outcome = await reconcile(key, { signal: workSignal, reconcileId });
      } catch (error) {
        outcome = retry(error);
      }
      // During shutdown a failed key is not requeued: the queue is shutting down.
      if (!(signal.aborted && outcome.kind === "retry")) applyOutcome(queue, key, outcome);
      onAttempt?.({ key, reconcileId, outcome, durationMs: performance.now() - started });
    }, {
      workers,
      // Only onAttempt can throw here (a reconcile's errors are its outcome).
      onError: (_, error) => {
        failure ??= { error };
        shutDown();
      },
    });
  } finally {
    signal.removeEventListener("abort", shutDown);
    // Workers that never started (an invalid count) leave the queue open.
    shutDown();
  }
  if (failure) throw failure.error;
}
