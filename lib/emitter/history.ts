/**
 * A bounded window of recent events of one resource, so that a watch from
 * a recent resourceVersion can be replayed and an older one is told it is
 * gone (410), as kube-apiserver's watch cache does.
 *
 * Invariant: every event with a resourceVersion greater than
 * {@linkcode History.horizon} is retained, in order; a watch from a version
 * at or after the horizon misses nothing.
 *
 * @module
 */

import { cannot } from "../cannot.ts";

/** What the window needs of an event. */
export interface Versioned {
  /** The Emitter resourceVersion of the change. */
  readonly resourceVersion: number;
}

/** A ring buffer of the last `capacity` events. */
export class History<E extends Versioned> {
  readonly #capacity: number;
  readonly #events: (E | undefined)[];
  #start = 0;
  #length = 0;
  #horizon: number;

  /** Keeps the last `capacity` events; versions at or after `horizon` are served from the start. */
  constructor(capacity: number, horizon: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(
        cannot("create history", "'capacity' must be a positive integer", capacity),
      );
    }
    this.#capacity = capacity;
    this.#events = new Array(capacity);
    this.#horizon = horizon;
  }

  /** The oldest resourceVersion a watch can start from. */
  get horizon(): number {
    return this.#horizon;
  }

  /** Number of events retained. */
  get size(): number {
    return this.#length;
  }

  /** Appends `event`, evicting the oldest when full. Versions must increase. */
  push(event: E): void {
    if (this.#length === this.#capacity) {
      const evicted = this.#events[this.#start] as E;
      this.#horizon = evicted.resourceVersion;
      this.#events[this.#start] = undefined;
      this.#start = (this.#start + 1) % this.#capacity;
      this.#length--;
    }
    this.#events[(this.#start + this.#length) % this.#capacity] = event;
    this.#length++;
  }

  /**
   * The events after `resourceVersion`, oldest first, or undefined when
   * that version is older than the horizon (some of them were evicted).
   */
  since(resourceVersion: number): E[] | undefined {
    if (resourceVersion < this.#horizon) return undefined;
    const out: E[] = [];
    for (let index = 0; index < this.#length; index++) {
      const event = this.#events[(this.#start + index) % this.#capacity] as E;
      if (event.resourceVersion > resourceVersion) out.push(event);
    }
    return out;
  }

  /** Forgets every event; watches can start from `horizon` on. */
  reset(horizon: number): void {
    this.#events.fill(undefined);
    this.#start = 0;
    this.#length = 0;
    this.#horizon = horizon;
  }
}
