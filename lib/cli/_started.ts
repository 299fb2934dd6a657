/**
 * What a stage of the command started, so that the shutdown is one loop
 * over every stage's parts and `--listen` serves every stage's checks.
 *
 * A stage either returns everything it started, or stops it all and
 * rejects: a caller never holds half of a stage.
 *
 * @module
 */

import type { HealthCheck, HealthInfo } from "./listen_server.ts";

/** The parts a stage started, each optional; the shutdown handles them in this order. */
export interface Started {
  /** Components running until the stop signal aborts; each settles once stopped. */
  readonly tasks?: readonly Promise<void>[];
  /** Listeners shut down by the stop signal; `finished` resolves once each closed. */
  readonly servers?: readonly { readonly finished: Promise<void> }[];
  /** Clients closed once every task and server is done (transports). */
  readonly clients?: readonly { close(): void }[];
  /** Checks of `/healthz`, `/livez` and `/health`. */
  readonly live?: readonly HealthCheck[];
  /** Checks of `/readyz`. */
  readonly ready?: readonly HealthCheck[];
  /** Informational lines of `/readyz?verbose`, asked on every probe (sources may come and go). */
  readonly readyInfo?: () => readonly HealthInfo[];
}
