/**
 * Bounded polling for tests: every wait has a deadline, so a test against a
 * real control plane fails with a message instead of hanging.
 *
 * @module
 */

import { realClock } from "../../lib/clock.ts";

/** Options of {@linkcode poll}. */
export interface PollOptions {
  /** What is awaited, for the timeout message, e.g. "EndpointSlice of web". */
  description: string;
  /** Give up after this long. Defaults to 30 000 ms. */
  timeoutMs?: number;
  /** Pause between probes. Defaults to 100 ms. */
  intervalMs?: number;
  /** Aborts the wait with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Calls `probe` until it returns a value other than `undefined` and returns
 * that value. A probe that throws is retried; its last error becomes the
 * timeout error's `cause`.
 */
export async function poll<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  options: PollOptions,
): Promise<T> {
  const { description, timeoutMs = 30_000, intervalMs = 100, signal } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (true) {
    signal?.throwIfAborted();
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}`, {
        cause: lastError,
      });
    }
    await delay(intervalMs, signal);
  }
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return realClock.sleep(ms, signal);
}
