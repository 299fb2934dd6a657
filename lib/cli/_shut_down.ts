/**
 * The command's shutdown, one loop over what every stage started, in the
 * order that lets each part finish with what it depends on still there:
 *
 * 1. the stop signal aborts, so every task and server begins to stop;
 * 2. every task settles (`Promise.allSettled`: one failing never cuts
 *    another's shutdown short; a held Lease is released inside the
 *    Reflector's task, only after the Reflector stopped);
 * 3. every server closes;
 * 4. every client closes, once nothing uses it any more.
 *
 * A task's failure is handed back, never thrown, so that a caller already
 * failing for another reason keeps its own error.
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import type { Started } from "./_started.ts";

/** Options of {@linkcode shutDown}. */
export interface ShutDownOptions {
  /** The controller of the signal every stage was started with; aborted first. */
  stop: AbortController;
  /** Each step is logged at debug. */
  logger: Logger;
}

/**
 * Stops everything in `started` (see the module doc) and resolves with the
 * first failed task in `started` order, or undefined when every task
 * stopped cleanly. Never rejects.
 */
export async function shutDown(
  started: readonly Started[],
  options: ShutDownOptions,
): Promise<PromiseRejectedResult | undefined> {
  const { stop, logger } = options;
  stop.abort();
  const settled = await Promise.allSettled(started.flatMap((part) => part.tasks ?? []));
  logger.debug("components stopped");
  const servers = started.flatMap((part) => part.servers ?? []);
  await Promise.allSettled(servers.map((server) => server.finished));
  logger.debug("servers closed");
  for (const client of started.flatMap((part) => part.clients ?? [])) client.close();
  return settled.find((result): result is PromiseRejectedResult => result.status === "rejected");
}
