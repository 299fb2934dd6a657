/**
 * What becomes of a stale source's endpoints (`--reflector.stale-action`):
 * `not-ready` keeps them, neither ready nor serving, so clients stop
 * sending to them and they are back the moment the source is; `delete`
 * drops them.
 *
 * @module
 */

/** What becomes of a stale source's endpoints. */
export type StaleAction = "not-ready" | "delete";

/** The stale actions, as the flag takes them. */
export const staleActions: readonly StaleAction[] = ["not-ready", "delete"];
