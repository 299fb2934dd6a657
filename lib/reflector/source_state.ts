/**
 * One source's state as the Reflector reports it: its informers' health,
 * whether it synced and is stale or being removed, and what it exports.
 * Read by `/readyz?verbose` and the metrics.
 *
 * @module
 */

import type { InformerHealth } from "../kube/informer.ts";

/** What `Reflector.sourceStates` tells of one source. */
export interface SourceState extends InformerHealth {
  /** The source's name. */
  name: string;
  /** Its server URL. */
  url: string;
  /** Whether its caches have synced (once; they stay synced while it is unreachable). */
  synced: boolean;
  /** Whether it is stale: unreachable past `staleAfterMs`, its endpoints withdrawn. */
  stale: boolean;
  /** Whether it was removed and still counts, stopped, for the remove grace. */
  removing: boolean;
  /** Services it exports (selected, not mirrors themselves). */
  exported: number;
  /** Mirrors its Services make, as last reconciled. */
  contributed: number;
  /** Mirrors in conflict that it is one of the sources of, as last reconciled. */
  conflicts: number;
}
