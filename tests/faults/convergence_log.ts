/**
 * Where the fault cases note how long each took to converge:
 * `.cache/faults/convergence.jsonl`, through `tests/support/noted_timings.ts`.
 * Times are noted, never asserted.
 *
 * @module
 */

import { noteTiming } from "../support/noted_timings.ts";

/** Appends the convergence time `ms` of fault case `name`. */
export function noteConvergence(name: string, ms: number): Promise<void> {
  return noteTiming("faults/convergence", name, ms);
}
