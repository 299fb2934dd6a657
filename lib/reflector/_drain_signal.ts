/**
 * The signal the keys in hand write with while a Reflector stops: a clean
 * shutdown lets them finish for a bounded drain, so that no mirror is left
 * half written (a Service without its slices); any other stop (a Lease
 * lost, a part that failed) aborts them at once.
 *
 * @module
 */

import { type Clock, realClock } from "../clock.ts";

/**
 * A signal that aborts `drainMs()` after `stop` aborts (at once for 0, the
 * drain read when `stop` aborts), or once `finished` aborts, whichever is
 * first.
 */
export function drainSignal(
  stop: AbortSignal,
  finished: AbortSignal,
  drainMs: () => number,
  clock: Clock = realClock,
): AbortSignal {
  const working = new AbortController();
  finished.addEventListener("abort", () => working.abort(), { once: true });
  const onStop = () => {
    const ms = drainMs();
    if (ms <= 0) return working.abort(stop.reason);
    clock.sleep(ms, finished).then(() => working.abort(stop.reason), () => {});
  };
  if (stop.aborted) onStop();
  else stop.addEventListener("abort", onStop, { once: true });
  return working.signal;
}
