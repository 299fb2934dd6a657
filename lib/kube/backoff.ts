/**
 * Exponential backoff with jitter for list/watch retries, with the
 * semantics of client-go's reflector backoff: each failure doubles the
 * delay up to a cap, jitter spreads clients that failed together, and the
 * delay returns to its start once the last backoff began longer ago than a
 * healthy period (a watch that ran fine for minutes is not penalized for an
 * old outage).
 *
 * @module
 */

import { type Clock, realClock } from "../clock.ts";
import { cannot } from "../cannot.ts";

/** Options of {@linkcode Backoff}; the defaults are client-go's reflector's. */
export interface BackoffOptions {
  /** First delay. Defaults to 800 ms. */
  initialMs?: number;
  /** Largest delay before jitter. Defaults to 30 000 ms. */
  maxMs?: number;
  /** Growth per failure. Defaults to 2. */
  factor?: number;
  /** Adds up to `jitter * delay` at random. Defaults to 1 (delays in [d, 2d)). */
  jitter?: number;
  /** Start over when the previous backoff began longer ago than this. Defaults to 120 000 ms. */
  resetAfterMs?: number;
  /** Time source. Defaults to the real clock. */
  clock?: Clock;
  /** Uniform random number in [0, 1). Defaults to `Math.random`. */
  random?: () => number;
}

/** Delays for successive failures. */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #resetAfterMs: number;
  readonly #clock: Clock;
  readonly #random: () => number;
  #delayMs = 0;
  #lastStart: number | undefined;

  /** Creates a backoff; options are validated here. */
  constructor(options: BackoffOptions = {}) {
    const {
      initialMs = 800,
      maxMs = 30_000,
      factor = 2,
      jitter = 1,
      resetAfterMs = 120_000,
    } = options;
    positive("initialMs", initialMs);
    positive("maxMs", maxMs);
    positive("resetAfterMs", resetAfterMs);
    if (!(factor >= 1)) {
      throw new RangeError(cannot("create backoff", "'factor' must be at least 1", factor));
    }
    if (!(jitter >= 0)) {
      throw new RangeError(cannot("create backoff", "'jitter' must not be negative", jitter));
    }
    this.#initialMs = initialMs;
    this.#maxMs = Math.max(maxMs, initialMs);
    this.#factor = factor;
    this.#jitter = jitter;
    this.#resetAfterMs = resetAfterMs;
    this.#clock = options.clock ?? realClock;
    this.#random = options.random ?? Math.random;
  }

  /** The delay to wait after a failure now, advancing the sequence. */
  next(): number {
    const now = this.#clock.now();
    if (this.#lastStart === undefined || now - this.#lastStart > this.#resetAfterMs) {
      this.#delayMs = this.#initialMs;
    } else {
      this.#delayMs = Math.min(this.#delayMs * this.#factor, this.#maxMs);
    }
    this.#lastStart = now;
    return this.#delayMs + this.#random() * this.#jitter * this.#delayMs;
  }

  /** Waits for {@linkcode Backoff.next}'s delay; rejects with the reason if `signal` aborts. */
  wait(signal?: AbortSignal): Promise<void> {
    return this.#clock.sleep(this.next(), signal);
  }

  /** Forgets past failures: the next delay is the initial one. */
  reset(): void {
    this.#lastStart = undefined;
  }
}

function positive(name: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(cannot("create backoff", `'${name}' must be a positive number`, value));
  }
}
