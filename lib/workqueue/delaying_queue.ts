/**
 * A {@linkcode Queue} that can also add a key after a delay, for retries and
 * periodic requeues. Delays are measured by an injected {@linkcode Clock}, so
 * tests drive them exactly.
 *
 * Properties, on top of the queue's:
 * - A key waits at most once: adding it after a delay while it already waits
 *   keeps whichever ready time is earlier, so a later request never pushes a
 *   sooner one back, and a key never holds more than one timer.
 * - A key that becomes ready is added as by `add()`, so it is deduplicated
 *   against the queue and against processing.
 * - Shutting down cancels every pending delay: no timer outlives the queue.
 *
 * @module
 */

import { type Clock, realClock } from "../clock.ts";
import { assertFiniteNumber } from "./_validate.ts";
import { Queue } from "./queue.ts";

/** Options for {@linkcode DelayingQueue}. */
export interface DelayingQueueOptions {
  /** Measures delays. Default: {@linkcode realClock}. */
  clock?: Clock;
}

interface Waiting {
  readyAt: number;
  controller: AbortController;
}

/**
 * A work queue with {@linkcode DelayingQueue.addAfter}.
 *
 * @example Retry a key in 100 ms
 * ```ts
 * import { DelayingQueue } from "./delaying_queue.ts";
 *
 * const queue = new DelayingQueue();
 * queue.addAfter("default/web", 100);
 * queue.shutDown(); // cancels the pending delay
 * ```
 */
export class DelayingQueue extends Queue {
  #clock: Clock;
  // Keys waiting for their ready time. Each entry owns one sleep on #clock,
  // aborted when the entry is replaced or the queue shuts down.
  #waiting = new Map<string, Waiting>();

  /** Creates an empty queue. */
  constructor(options: DelayingQueueOptions = {}) {
    super();
    this.#clock = options.clock ?? realClock;
  }

  /**
   * Adds `key` once `ms` milliseconds have passed; at once if `ms <= 0`. If
   * `key` already waits with an earlier ready time, that one is kept. No-op
   * once the queue is shutting down.
   *
   * @throws {RangeError} If `ms` is not a finite number.
   */
  addAfter(key: string, ms: number): void {
    assertFiniteNumber("add key after a delay", "ms", ms);
    if (this.shuttingDown()) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.#clock.now() + ms;
    const waiting = this.#waiting.get(key);
    if (waiting !== undefined && waiting.readyAt <= readyAt) return;
    waiting?.controller.abort();
    const entry: Waiting = { readyAt, controller: new AbortController() };
    this.#waiting.set(key, entry);
    this.#clock.sleep(ms, entry.controller.signal).then(
      () => {
        // A sleep can resolve in the same turn as the abort that replaced it.
        if (this.#waiting.get(key) !== entry) return;
        this.#waiting.delete(key);
        this.add(key);
      },
      // Rejected only by our own abort: the entry was replaced or cancelled.
      () => {},
    );
  }

  /** Cancels every pending delay, then shuts down as {@linkcode Queue.shutDown}. */
  override shutDown(): void {
    this.#cancelWaiting();
    super.shutDown();
  }

  /**
   * Cancels every pending delay (adds are ignored from now on anyway), then
   * drains as {@linkcode Queue.shutDownWithDrain}.
   */
  override shutDownWithDrain(): Promise<void> {
    this.#cancelWaiting();
    return super.shutDownWithDrain();
  }

  #cancelWaiting(): void {
    for (const waiting of this.#waiting.values()) waiting.controller.abort();
    this.#waiting.clear();
  }
}
