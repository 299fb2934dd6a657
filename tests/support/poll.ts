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

/** Options of {@linkcode stays}. */
export interface StaysOptions {
  /** What must keep holding, for the failure message, e.g. "no slice mirrored from Endpoints". */
  description: string;
  /** How long it must hold. */
  forMs: number;
  /** Pause between checks. Defaults to 100 ms. */
  intervalMs?: number;
  /** Aborts the wait with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * The negative counterpart of {@linkcode poll}: calls `check` (an assertion:
 * it throws when the condition does not hold) at once, then every
 * `intervalMs` until `forMs` have passed, with one last call at the end, so
 * a condition that breaks late is still seen. Rejects at the first failed
 * check, naming `description`, with the check's error as `cause`.
 */
export async function stays(
  check: () => Promise<void> | void,
  options: StaysOptions,
): Promise<void> {
  const { description, forMs, intervalMs = 100, signal } = options;
  const started = Date.now();
  const deadline = started + forMs;
  while (true) {
    signal?.throwIfAborted();
    const at = Date.now();
    try {
      await check();
    } catch (error) {
      throw new Error(
        `Expected ${description} for ${forMs} ms, but it stopped holding after ${at - started} ms`,
        { cause: error },
      );
    }
    if (at >= deadline) return;
    await delay(Math.min(intervalMs, deadline - Date.now()), signal);
  }
}
