/**
 * One source's state as a `/readyz?verbose` line says it: informational,
 * never a failure (a source that is down degrades only its own mirrors, so
 * it must not take the replica out of service).
 *
 * @module
 */

import type { SourceState } from "../reflector/source_state.ts";

/**
 * E.g. `up, synced, last contact 2s ago, https://east:6443/`,
 * `down (last contact 9s ago, contact lost 4s ago), synced (its last state
 * is kept), https://east:6443/` or `down (never reached), not synced,
 * http://10.0.0.9:8080/`, or, for a
 * source removed and inside its remove grace, `removed, stopped; ...`. `nowMs` is
 * the clock time the last contact is measured from.
 */
export function describeSource(state: SourceState, nowMs: number): string {
  const contact = state.lastContactMs === undefined
    ? "never reached"
    : `last contact ${Math.max(0, Math.round((nowMs - state.lastContactMs) / 1000))}s ago`;
  // A source never reached has only ever been out of contact: no second clock.
  const lost = state.lostSinceMs === undefined || state.lastContactMs === undefined
    ? ""
    : `, contact lost ${Math.max(0, Math.round((nowMs - state.lostSinceMs) / 1000))}s ago`;
  const reach = state.connected ? `up, ${contact}` : `down (${contact}${lost})`;
  const synced = !state.synced
    ? "not synced"
    : state.stale
    ? "synced, stale (its endpoints are withdrawn)"
    : state.connected
    ? "synced"
    : "synced (its last state is kept)";
  if (state.removing) {
    return `removed, stopped; its part of the host goes after the grace, ${state.url}`;
  }
  return `${reach}, ${synced}, ${state.url}`;
}
