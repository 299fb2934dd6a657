/**
 * A {@linkcode DelayingQueue} whose retries wait as long as a
 * {@linkcode RateLimiter} says. A key is retried for as long as it keeps
 * failing, never dropped after some number of attempts: the controller is
 * level-based, and dropping a key would leave its objects diverged until an
 * unrelated event touched it.
 *
 * The caller's duty: call `forget(key)` once a key was processed
 * successfully, so its next failure starts again from the shortest backoff.
 *
 * @module
 */

import { type Clock, realClock } from "../clock.ts";
import { DelayingQueue } from "./delaying_queue.ts";
import { defaultControllerRateLimiter, type RateLimiter } from "./rate_limiters.ts";

/** Options for {@linkcode RateLimitingQueue}. */
export interface RateLimitingQueueOptions {
  /**
   * Decides each retry's wait. Default: `defaultControllerRateLimiter()` on
   * the same clock (per-key 5 ms to 1000 s, overall 10 per second after a
   * burst of 100).
   */
  rateLimiter?: RateLimiter;
  /** Measures delays. Default: {@linkcode realClock}. */
  clock?: Clock;
}

/**
 * A work queue with rate-limited retries.
 *
 * @example Retry on failure, forget on success
 * ```ts
 * import { RateLimitingQueue } from "./rate_limiting_queue.ts";
 *
 * const queue = new RateLimitingQueue();
 * queue.add("default/web");
 * const key = await queue.get();
 * if (key !== undefined) {
 *   try {
 *     // reconcile(key) succeeded:
 *     queue.forget(key);
 *   } catch {
 *     queue.addRateLimited(key);
 *   } finally {
 *     queue.done(key);
 *   }
 * }
 * queue.shutDown();
 * ```
 */
export class RateLimitingQueue extends DelayingQueue {
  #rateLimiter: RateLimiter;

  /** Creates an empty queue. */
  constructor(options: RateLimitingQueueOptions = {}) {
    const { clock = realClock } = options;
    super({ clock });
    this.#rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter({ clock });
  }

  /**
   * Adds `key` after the wait the rate limiter gives for one more retry.
   * No-op once the queue is shutting down, so shutdown does not count as a
   * retry or spend a token.
   */
  addRateLimited(key: string): void {
    if (this.shuttingDown()) return;
    this.addAfter(key, this.#rateLimiter.when(key));
  }

  /** Resets `key`'s retry count; does not remove it from the queue. */
  forget(key: string): void {
    this.#rateLimiter.forget(key);
  }

  /** How many times `key` was retried since it was last forgotten. */
  numRequeues(key: string): number {
    return this.#rateLimiter.numRequeues(key);
  }
}
