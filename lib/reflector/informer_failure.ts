/**
 * A failure the Reflector recovers from by itself (an informer's list or
 * watch, a source's discovery), as its parts tell it.
 *
 * @module
 */

import type { InformerPhase } from "../kube/informer.ts";

/** A failure the Reflector recovers from by itself, by cluster. */
export interface InformerFailure {
  /** `host` or a source's name. */
  cluster: string;
  /** The cluster's server URL, where known (always for a source). */
  url?: string;
  /**
   * Where: an informer's `list`, `watch` or `handler`, a source's
   * `discovery`, or (as `handler`, in the host) a NotOwned Event that could
   * not be recorded.
   */
  phase: InformerPhase | "discovery";
  /** What was thrown. */
  error: unknown;
}
