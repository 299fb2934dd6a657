/**
 * Leadership for the command: the Reflector runs only while this replica
 * holds the Lease, and a replica that loses it stops the Reflector and
 * campaigns again, so at most one replica writes mirrors at a time while
 * every replica's Emitter keeps serving.
 *
 * @module
 */

import { Gauge, type Registry } from "prom-client";
import { type Clock, realClock } from "../clock.ts";
import type { LeaderElector } from "../kube/leader_election.ts";
import type { Logger } from "../log/logger.ts";

/** Options of {@linkcode runWhileLeading}. */
export interface RunWhileLeadingOptions {
  /** The candidate. */
  elector: LeaderElector;
  /** Runs while leading, until its signal aborts. */
  lead: (signal: AbortSignal) => Promise<void>;
  /** Aborting stops the work, releases the Lease and resolves. */
  signal: AbortSignal;
  /** Leadership changes are logged at info. */
  logger: Logger;
  /** Pause before campaigning again after a term ended (the elector's retry period). */
  pauseMs: number;
  /** Time source. Defaults to the real clock. */
  clock?: Clock;
}

/**
 * Campaigns until `signal` aborts, running `lead` each time leadership is
 * won. After a term ends (the Lease lost, or `lead` failed) it pauses before
 * campaigning again, so a work that fails at once cannot spin.
 */
export async function runWhileLeading(options: RunWhileLeadingOptions): Promise<void> {
  const { elector, lead, signal, logger, pauseMs, clock = realClock } = options;
  while (!signal.aborted) {
    let led = false;
    try {
      await elector.run(signal, {
        onStartedLeading: (leading) => {
          led = true;
          logger.info("started leading");
          return lead(leading);
        },
        onStoppedLeading: () => logger.info("stopped leading"),
        onNewLeader: (identity) => logger.info("leader observed", { leader: identity }),
      });
    } catch (error) {
      logger.error("leader election failed", { error });
    }
    if (signal.aborted) break;
    if (led) logger.warn("the term ended; campaigning again", { pauseMs });
    await clock.sleep(pauseMs, signal).catch(() => {});
  }
}

/** Registers `service_reflector_leader` (1 while `elector` leads) in `registry`. */
export function leaderMetrics(registry: Registry, elector: LeaderElector): void {
  new Gauge({
    name: "service_reflector_leader",
    help: "1 while this replica holds the Lease and runs the Reflector, else 0.",
    registers: [registry],
    collect() {
      this.set(elector.isLeader ? 1 : 0);
    },
  });
}
