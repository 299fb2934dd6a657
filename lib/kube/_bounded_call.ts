/**
 * A call with a deadline on a {@linkcode Clock}, so that tests driving time
 * drive the deadline too.
 *
 * @module
 */

import type { Clock } from "../clock.ts";

/**
 * Runs `call` with a signal that aborts with `signal`, or after `timeoutMs`
 * on `clock` with a `TimeoutError` naming `what`, whichever comes first. No
 * timer or listener outlives the call. (A listener rather than
 * `AbortSignal.any`, which retained every combined signal on a long-lived
 * one in older Deno releases.)
 */
export async function boundedCall<T>(
  clock: Clock,
  signal: AbortSignal | undefined,
  timeoutMs: number,
  what: string,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const bound = new AbortController();
  const done = new AbortController();
  const onAbort = () => bound.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  clock.sleep(timeoutMs, done.signal).then(() =>
    bound.abort(
      new DOMException(`${what} got no answer within ${Math.round(timeoutMs)} ms`, "TimeoutError"),
    ), () => {});
  try {
    return await call(bound.signal);
  } finally {
    done.abort();
    signal?.removeEventListener("abort", onAbort);
  }
}
