/**
 * A Reflector's `SourceState` for tests of what reads one (the metrics,
 * the readiness lines), with only the fields a test cares about given.
 *
 * @module
 */

import type { SourceState } from "../../lib/reflector/source_state.ts";

/** Source `east` at `https://east.example:6443/`, never reached, with `overrides` over that. */
export function sourceState(overrides: Partial<SourceState> = {}): SourceState {
  return {
    name: "east",
    url: "https://east.example:6443/",
    synced: false,
    stale: false,
    removing: false,
    exported: 0,
    contributed: 0,
    conflicts: 0,
    connected: false,
    lastContactMs: undefined,
    lostSinceMs: undefined,
    ...overrides,
  };
}

/** Whether each running source of `reflector` has synced, by name. */
export function syncedBySource(
  reflector: { sourceStates: readonly SourceState[] },
): Record<string, boolean> {
  const running = reflector.sourceStates.filter((state) => !state.removing);
  return Object.fromEntries(running.map((state) => [state.name, state.synced]));
}
