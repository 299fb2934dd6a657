/**
 * Rate limiters decide how long a key waits before it is retried. Each is a
 * tiny object with three methods; {@linkcode MaxOfRateLimiter} combines them.
 * None of them ever gives up on a key: a limit on retries would let the
 * cluster silently diverge from the desired state.
 *
 * @module
 */

import { type Clock, realClock } from "../clock.ts";
import { assertPositiveInteger, assertPositiveNumber, message } from "./_validate.ts";

/** Decides how long each retry of a key waits. */
export interface RateLimiter {
  /** Records one more retry of `key` and returns how many milliseconds it must wait. */
  when(key: string): number;
  /** Forgets `key`'s retries, typically after it was processed successfully. */
  forget(key: string): void;
  /** How many retries of `key` have been recorded since it was last forgotten. */
  numRequeues(key: string): number;
}

/** Options for {@linkcode ExponentialFailureRateLimiter}. */
export interface ExponentialFailureRateLimiterOptions {
  /** Wait before the first retry, in milliseconds. Default: 5. */
  baseDelayMs?: number;
  /**
   * Longest wait, in milliseconds. Default: 1 000 000 (1000 s, about 17
   * minutes), which the default base reaches from the 19th retry on.
   */
  maxDelayMs?: number;
}

/**
 * Per-key exponential backoff: the n-th retry of a key since it was last
 * forgotten waits `baseDelayMs * 2 ** (n - 1)`, capped at `maxDelayMs`.
 */
export class ExponentialFailureRateLimiter implements RateLimiter {
  #baseDelayMs: number;
  #maxDelayMs: number;
  #failures = new Map<string, number>();

  /**
   * @throws {TypeError} If a delay is not a number.
   * @throws {RangeError} If a delay is not positive and finite, or `maxDelayMs < baseDelayMs`.
   */
  constructor(options: ExponentialFailureRateLimiterOptions = {}) {
    const { baseDelayMs = 5, maxDelayMs = 1_000_000 } = options;
    assertPositiveNumber("create rate limiter", "baseDelayMs", baseDelayMs);
    assertPositiveNumber("create rate limiter", "maxDelayMs", maxDelayMs);
    if (maxDelayMs < baseDelayMs) {
      throw new RangeError(
        message("create rate limiter", "maxDelayMs", "at least 'baseDelayMs'", maxDelayMs),
      );
    }
    this.#baseDelayMs = baseDelayMs;
    this.#maxDelayMs = maxDelayMs;
  }

  /** Records a failure of `key` and returns its backoff. */
  when(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    // 2 ** failures overflows to Infinity after ~1000 failures; the cap still applies.
    return Math.min(this.#baseDelayMs * 2 ** failures, this.#maxDelayMs);
  }

  /** Resets `key`'s backoff to `baseDelayMs`. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** The failures recorded for `key`. */
  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

/** Options for {@linkcode BucketRateLimiter}. */
export interface BucketRateLimiterOptions {
  /** Tokens added per second, i.e. the sustained retry rate. Default: 10. */
  qps?: number;
  /** Bucket size, i.e. how many retries may pass at once. Default: 100. */
  burst?: number;
  /** Measures refills. Default: {@linkcode realClock}. */
  clock?: Clock;
}

/**
 * An overall token bucket shared by every key: it starts full with `burst`
 * tokens and refills at `qps` per second. Each `when()` reserves a token,
 * and returns 0 if one was available, or else how long until the token it
 * reserved will exist. Reservations queue up, so waits grow by `1000 / qps`
 * milliseconds per call while the bucket is empty.
 */
export class BucketRateLimiter implements RateLimiter {
  #qps: number;
  #burst: number;
  #clock: Clock;
  // Tokens at #updatedAt; negative when reservations are ahead of refills.
  #tokens: number;
  #updatedAt: number;

  /**
   * @throws {TypeError} If `qps` or `burst` is not a number.
   * @throws {RangeError} If `qps` is not positive and finite, or `burst` is not a positive integer.
   */
  constructor(options: BucketRateLimiterOptions = {}) {
    const { qps = 10, burst = 100, clock = realClock } = options;
    assertPositiveNumber("create rate limiter", "qps", qps);
    assertPositiveInteger("create rate limiter", "burst", burst);
    this.#qps = qps;
    this.#burst = burst;
    this.#clock = clock;
    this.#tokens = burst;
    this.#updatedAt = clock.now();
  }

  /** Reserves a token and returns how long until it is available. */
  when(_key: string): number {
    const now = this.#clock.now();
    // Time never moves back for the bucket: a clock stepping backwards must
    // not drain tokens already granted.
    const elapsedMs = Math.max(0, now - this.#updatedAt);
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsedMs * this.#qps) / 1000);
    this.#updatedAt = Math.max(now, this.#updatedAt);
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens * 1000) / this.#qps;
  }

  /** No-op: the bucket does not track keys. */
  forget(_key: string): void {}

  /** Always 0: the bucket does not track keys. */
  numRequeues(_key: string): number {
    return 0;
  }
}

/** Options for {@linkcode MaxOfRateLimiter}. */
export interface MaxOfRateLimiterOptions {
  /** The limiters to combine; at least one. */
  limiters: readonly RateLimiter[];
}

/**
 * Combines limiters: a key waits as long as the strictest of them says.
 * Every limiter sees every call, so each keeps its own count.
 */
export class MaxOfRateLimiter implements RateLimiter {
  #limiters: readonly RateLimiter[];

  /**
   * @throws {TypeError} If `limiters` is not an array.
   * @throws {RangeError} If `limiters` is empty.
   */
  constructor(options: MaxOfRateLimiterOptions) {
    const { limiters } = options;
    if (!Array.isArray(limiters)) {
      throw new TypeError(
        message("create rate limiter", "limiters", "an array", limiters),
      );
    }
    if (limiters.length === 0) {
      throw new RangeError(
        "Cannot create rate limiter as 'limiters' must not be empty: current length is 0",
      );
    }
    this.#limiters = [...limiters];
  }

  /** The longest wait any limiter returns. */
  when(key: string): number {
    return Math.max(...this.#limiters.map((limiter) => limiter.when(key)));
  }

  /** Forgets `key` in every limiter. */
  forget(key: string): void {
    for (const limiter of this.#limiters) limiter.forget(key);
  }

  /** The highest count any limiter holds for `key`. */
  numRequeues(key: string): number {
    return Math.max(...this.#limiters.map((limiter) => limiter.numRequeues(key)));
  }
}

/** Options for {@linkcode defaultControllerRateLimiter}. */
export interface DefaultControllerRateLimiterOptions {
  /** Measures the bucket's refills. Default: {@linkcode realClock}. */
  clock?: Clock;
}

/**
 * The limiter controllers should use unless they have a reason not to: the
 * maximum of per-key exponential backoff from 5 ms to 1000 s, which slows a
 * key that keeps failing, and a bucket of 100 tokens refilled at 10 per
 * second, which caps the retry rate of all keys together when many fail at
 * once (a source cluster going away fails every key it owns).
 */
export function defaultControllerRateLimiter(
  options: DefaultControllerRateLimiterOptions = {},
): RateLimiter {
  const { clock = realClock } = options;
  return new MaxOfRateLimiter({
    limiters: [
      new ExponentialFailureRateLimiter({ baseDelayMs: 5, maxDelayMs: 1_000_000 }),
      new BucketRateLimiter({ qps: 10, burst: 100, clock }),
    ],
  });
}
