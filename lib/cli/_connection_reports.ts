/**
 * How a server's connection troubles reach the log: one warning per report
 * of the accept loop (itself at most one per 10 s of each kind), naming the
 * port, how many happened, and the flag that sets the cap.
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import type { AcceptFailure, Refusal } from "../net/accept_loop.ts";

/** The report callbacks of a server on `port`, logging to `log`; `capFlag` names its cap. */
export function connectionReports(
  log: Logger,
  capFlag: string,
): {
  onAcceptFailure: (report: AcceptFailure, port: number) => void;
  onRefusal: (report: Refusal, port: number) => void;
} {
  return {
    onAcceptFailure: ({ error, failures, retryInMs }, port) =>
      log.warn("cannot accept connections, retrying", { port, failures, retryInMs, error }),
    onRefusal: ({ refused, maxConnections }, port) =>
      log.warn("connections refused at the cap", {
        port,
        refused,
        maxConnections,
        flag: capFlag,
      }),
  };
}
