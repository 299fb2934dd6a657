/**
 * Runs worker loops over a queue: each takes a key, processes it, and marks
 * it done, until the queue shuts down. The queue guarantees that no key is
 * processed by two workers at once.
 *
 * @module
 */

import { assertPositiveInteger } from "./_validate.ts";
import type { Queue } from "./queue.ts";

/** Processes one key. Errors it throws go to {@linkcode RunWorkersOptions.onError}. */
export type KeyHandler = (key: string) => void | Promise<void>;

/** Options for {@linkcode runWorkers}. */
export interface RunWorkersOptions {
  /** How many keys are processed concurrently. Default: 1. */
  workers?: number;
  /**
   * Aborting shuts the queue down with drain: keys already queued are still
   * processed, new ones are ignored. Default: none, so the workers run until
   * someone else shuts the queue down.
   */
  signal?: AbortSignal;
  /**
   * Receives what the handler threw, after which the worker goes on. The
   * handler should deal with its own failures (for instance by requeueing
   * the key rate-limited); this is the last resort. Errors thrown here are
   * ignored so that a broken reporter cannot stop the workers. Default: ignore.
   */
  onError?: (key: string, error: unknown) => void;
}

/**
 * Starts `workers` loops that each `get()` a key, await `handler(key)` and
 * always call `done(key)`. Resolves once every loop has returned, which
 * happens when the queue is shut down and, after a drain, empty.
 *
 * @example Two workers, stopped by an abort
 * ```ts
 * import { Queue } from "./queue.ts";
 * import { runWorkers } from "./run_workers.ts";
 *
 * const queue = new Queue();
 * const controller = new AbortController();
 * const running = runWorkers(queue, (key) => {
 *   // reconcile(key)
 * }, { workers: 2, signal: controller.signal });
 * queue.add("default/web");
 * controller.abort();
 * await running;
 * ```
 *
 * @throws {TypeError} If `workers` is not a number.
 * @throws {RangeError} If `workers` is not a positive integer.
 */
export async function runWorkers(
  queue: Pick<Queue, "get" | "done" | "shutDownWithDrain">,
  handler: KeyHandler,
  options: RunWorkersOptions = {},
): Promise<void> {
  const { workers = 1, signal, onError } = options;
  assertPositiveInteger("run workers", "workers", workers);
  let drained: Promise<void> | undefined;
  const onAbort = () => {
    drained = queue.shutDownWithDrain();
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await Promise.all(Array.from({ length: workers }, () => work(queue, handler, onError)));
  } finally {
    // The loops can also end because someone else shut the queue down.
    signal?.removeEventListener("abort", onAbort);
  }
  await drained;
}

async function work(
  queue: Pick<Queue, "get" | "done">,
  handler: KeyHandler,
  onError: RunWorkersOptions["onError"],
): Promise<void> {
  for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
    try {
      await handler(key);
    } catch (error) {
      try {
        onError?.(key, error);
      } catch {
        // See RunWorkersOptions.onError: a failing reporter must not stop the loop.
      }
    } finally {
      queue.done(key);
    }
  }
}
