/**
 * Negative checks for tests: that something does not happen is shown by
 * watching it not happen for a while, never by one look after one sleep (a
 * single late look passes as well when the check ran too early to see it).
 *
 * @module
 */

import { delay } from "./poll.ts";

/** Options of {@linkcode holds}. */
export interface HoldsOptions {
  /** What must stay true, for the failure message, e.g. "exactly one candidate leads". */
  description: string;
  /** How long it must hold. */
  forMs: number;
  /** Pause between probes. Defaults to 20 ms. */
  intervalMs?: number;
}

/**
 * Probes `probe` every `intervalMs` for `forMs` (the last probe at or after
 * `forMs`) and throws at the first probe that returns false. A probe that
 * throws fails the check at once: an error is not evidence that nothing
 * happened.
 */
export async function holds(
  probe: () => boolean | Promise<boolean>,
  options: HoldsOptions,
): Promise<void> {
  const { description, forMs, intervalMs = 20 } = options;
  const started = Date.now();
  while (true) {
    const elapsed = Date.now() - started;
    if (!(await probe())) {
      throw new Error(
        `Expected ${description} for ${forMs} ms, but it stopped after ${elapsed} ms`,
      );
    }
    if (elapsed >= forMs) return;
    await delay(Math.min(intervalMs, forMs - elapsed));
  }
}
