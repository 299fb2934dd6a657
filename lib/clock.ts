/**
 * Time as a dependency: everything in lib/kube that waits (backoff, delayed
 * queue items, token buckets) asks a {@linkcode Clock}, so tests can drive
 * time exactly with `tests/support/fake_clock.ts` instead of sleeping.
 *
 * @module
 */

/** A source of the current time and of cancellable sleeps. */
export interface Clock {
  /**
   * Milliseconds since the epoch, never going backwards: a difference of two
   * readings is the time that really passed, even across a step of the
   * system clock (which deadlines and lease expiry depend on).
   */
  now(): number;
  /**
   * Resolves after `ms` milliseconds (immediately if `ms <= 0`), or rejects
   * with `signal.reason` as soon as `signal` aborts.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The real clock: the wall time at start-up plus the monotonic time since
 * (`performance.timeOrigin + performance.now()`), and `setTimeout`.
 */
export const realClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
};
