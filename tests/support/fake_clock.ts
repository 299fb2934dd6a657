/**
 * A {@linkcode Clock} whose time moves only when a test says so, for exact
 * assertions on backoff and delays.
 *
 * @module
 */

import type { Clock } from "../../lib/clock.ts";

interface Sleeper {
  wakeAt: number;
  resolve: () => void;
}

/** A manually advanced clock. Sleeps resolve in wake-up order as time passes them. */
export class FakeClock implements Clock {
  #now: number;
  #sleepers: Sleeper[] = [];

  /** Starts at `start` milliseconds since the epoch (default: 0). */
  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Durations of the sleeps still pending, relative to now, in wake-up order. */
  get pending(): number[] {
    return this.#sleepers.map((sleeper) => sleeper.wakeAt - this.#now);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const sleeper: Sleeper = {
        wakeAt: this.#now + ms,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#sleepers = this.#sleepers.filter((other) => other !== sleeper);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#sleepers.push(sleeper);
      this.#sleepers.sort((a, b) => a.wakeAt - b.wakeAt);
    });
  }

  /**
   * Moves time forward by `ms`, waking each sleeper due on the way at its
   * own time, and lets the woken code run (microtasks and one macrotask
   * turn) before moving on.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    while (true) {
      const next = this.#sleepers[0];
      if (!next || next.wakeAt > target) break;
      this.#sleepers.shift();
      this.#now = next.wakeAt;
      next.resolve();
      await settle();
    }
    this.#now = target;
    await settle();
  }
}

/** Lets pending promise callbacks and one timer turn run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
