/**
 * The leader elector's durations, checked with client-go's rules, and the
 * Lease's time format.
 *
 * @module
 */

import { cannot } from "../cannot.ts";

/** What a bad duration stops, in every message here. */
const action = "create leader elector";

/** Extra random share of the retry period added to each acquire attempt, as client-go's `JitterFactor`. */
export const jitterFactor = 1.2;

/** The three durations of a leader elector, in ms. */
export interface ElectorDurations {
  /** How long other candidates wait before taking an unrenewed Lease. */
  leaseDurationMs: number;
  /** How long the leader keeps trying to renew before it gives up. */
  renewDeadlineMs: number;
  /** Pause between renewals and between attempts to acquire. */
  retryPeriodMs: number;
}

/**
 * The durations with client-go's defaults (15 s, 10 s, 2 s) filled in.
 * Throws a RangeError for a duration that is not positive and finite, a
 * lease duration not above the renew deadline, or a renew deadline not
 * above {@linkcode jitterFactor} times the retry period.
 */
export function checkedDurations(options: Partial<ElectorDurations>): ElectorDurations {
  const { leaseDurationMs = 15_000, renewDeadlineMs = 10_000, retryPeriodMs = 2_000 } = options;
  for (
    const [field, value] of Object.entries({ leaseDurationMs, renewDeadlineMs, retryPeriodMs })
  ) {
    if (!(Number.isFinite(value) && value > 0)) {
      throw new RangeError(cannot(action, `'${field}' must be a positive finite number`, value));
    }
  }
  if (!(leaseDurationMs > renewDeadlineMs)) {
    throw new RangeError(
      cannot(
        action,
        `'leaseDurationMs' must be greater than 'renewDeadlineMs' (${renewDeadlineMs})`,
        leaseDurationMs,
      ),
    );
  }
  if (!(renewDeadlineMs > jitterFactor * retryPeriodMs)) {
    throw new RangeError(
      cannot(
        action,
        `'renewDeadlineMs' must be greater than ${jitterFactor} times 'retryPeriodMs' (${retryPeriodMs})`,
        renewDeadlineMs,
      ),
    );
  }
  return { leaseDurationMs, renewDeadlineMs, retryPeriodMs };
}

/** A Kubernetes MicroTime: RFC 3339 in UTC with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(Math.floor(ms)).toISOString().replace(/Z$/, "000Z");
}
