/**
 * How long a source's change takes to reach the host: from the moment a
 * source's watch told it to the first host write of a reconcile that
 * follows it. Per key, per source, the earliest change not yet written
 * counts; a reconcile that fails keeps it for the next one, and a reconcile
 * that ends without writing (nothing differed) tells nothing.
 *
 * @module
 */

import { type Clock, realClock } from "../clock.ts";

/** Options of {@linkcode Propagation}. */
export interface PropagationOptions {
  /** Told, once per source and change, of its delay. */
  onPropagated(source: string, ms: number): void;
  /** Time source. */
  clock?: Clock;
}

/** The delays of the changes of each key, from change to first write. */
export class Propagation {
  readonly #options: PropagationOptions;
  readonly #clock: Clock;
  /** Per key, per source: when its first change not yet reconciled was seen (clock ms). */
  readonly #changedAt = new Map<string, Map<string, number>>();
  /** The same, for the keys being reconciled: their first write tells the delay. */
  readonly #inFlight = new Map<string, Map<string, number>>();

  /** Creates the record; `onPropagated` is told of each delay. */
  constructor(options: PropagationOptions) {
    this.#options = options;
    this.#clock = options.clock ?? realClock;
  }

  /** Notes a change of `source` bearing on `key`, unless an earlier one still waits. */
  changed(source: string, key: string): void {
    const seen = this.#changedAt.get(key) ?? new Map<string, number>();
    if (!seen.has(source)) seen.set(source, this.#clock.now());
    this.#changedAt.set(key, seen);
  }

  /**
   * Runs `reconcile` of `key` with the changes so far in hand: its first
   * write ({@linkcode Propagation.written}) tells their delays; unless
   * `settled` says its result wrote all it was called for, they are put
   * back, keeping the earlier times.
   */
  async during<T>(
    key: string,
    reconcile: () => Promise<T>,
    settled: (result: T) => boolean,
  ): Promise<T> {
    const seen = this.#changedAt.get(key);
    this.#changedAt.delete(key);
    if (seen) this.#inFlight.set(key, seen);
    let result: { value: T } | undefined;
    try {
      result = { value: await reconcile() };
      return result.value;
    } finally {
      const left = this.#inFlight.get(key);
      this.#inFlight.delete(key);
      if (left && !(result && settled(result.value))) {
        const waiting = this.#changedAt.get(key) ?? new Map<string, number>();
        for (const [source, at] of left) {
          waiting.set(source, Math.min(at, waiting.get(source) ?? Infinity));
        }
        this.#changedAt.set(key, waiting);
      }
    }
  }

  /** Tells, once, how long the changes of `key` being reconciled took to reach the host. */
  written(key: string): void {
    const seen = this.#inFlight.get(key);
    if (!seen) return;
    this.#inFlight.delete(key);
    const now = this.#clock.now();
    for (const [source, at] of seen) this.#options.onPropagated(source, now - at);
  }
}
