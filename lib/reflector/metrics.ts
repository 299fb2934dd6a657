/**
 * Prometheus metrics of a Reflector. The two counters of the 2019 Go
 * original keep their names (`service_reflector_reconcile_attempts_total`,
 * `service_reflector_reconcile_errors_total`) so existing dashboards work.
 *
 * @module
 */

import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Attempt } from "../controller/controller.ts";
import type { Write } from "./applier.ts";
import type { InformerFailure, ReflectorObserver } from "./observer.ts";
import type { InvalidObject } from "./_source_admission.ts";
import { SourceLimitError } from "./source_limits.ts";

/** What the gauges read at scrape time (a Reflector has these). */
export interface ReflectorGauges {
  /** Keys waiting in the queue. */
  readonly queueLength: number;
  /** Mirror Services the host holds. */
  readonly mirrors: number;
  /** Sync state by source name. */
  readonly sourcesSynced: Record<string, boolean>;
}

/**
 * The metrics as an observer of the Reflector (compose it with others
 * through `fanOut`), and where its gauges are read from.
 */
export interface ReflectorMetrics extends ReflectorObserver {
  /**
   * Names what the gauges read. The Reflector needs its observer before it
   * exists, so it is given here once created; until then the gauges read 0.
   */
  observe(gauges: ReflectorGauges): void;
  /** Counts the attempt, its failure if any, and its duration. */
  onAttempt(attempt: Attempt): void;
  /** Counts the write by verb and resource. */
  onWrite(write: Write): void;
  /** Counts the conflict. */
  onUnowned(key: string): void;
  /** Counts the invalid object by source and resource. */
  onInvalidObject(invalid: InvalidObject): void;
  /** Counts a source's bound exceeded, by source and bound. */
  onInformerError(failure: InformerFailure): void;
}

/** Registers the Reflector's metrics in `registry` and returns the observer that keeps them. */
export function reflectorMetrics(registry: Registry): ReflectorMetrics {
  const registers = [registry];
  let gauges: ReflectorGauges = { queueLength: 0, mirrors: 0, sourcesSynced: {} };
  const attempts = new Counter({
    name: "service_reflector_reconcile_attempts_total",
    help: "Reconcile attempts, one per key processed.",
    registers,
  });
  const errors = new Counter({
    name: "service_reflector_reconcile_errors_total",
    help: "Reconcile attempts that failed (retried or terminal).",
    registers,
  });
  const duration = new Histogram({
    name: "service_reflector_reconcile_duration_seconds",
    help: "Duration of reconcile attempts.",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const writes = new Counter({
    name: "service_reflector_writes_total",
    help: "Writes to the host cluster, by verb and resource.",
    labelNames: ["verb", "resource"],
    registers,
  });
  const unowned = new Counter({
    name: "service_reflector_unowned_conflicts_total",
    help: "Reconciles that found a same-named host Service not owned by service-reflector.",
    registers,
  });
  const invalid = new Counter({
    name: "service_reflector_source_invalid_objects_total",
    help: "Source objects skipped as not shaped as the Reflector reads them, once per version.",
    labelNames: ["source", "resource"],
    registers,
  });
  const limited = new Counter({
    name: "service_reflector_source_limit_exceeded_total",
    help: "Source lists and watches failed for sending more than a --reflector.source-max-* bound.",
    labelNames: ["source", "limit"],
    registers,
  });
  registerGauges(registers, () => gauges);
  return {
    observe(observed) {
      gauges = observed;
    },
    onAttempt(attempt) {
      attempts.inc();
      if (attempt.outcome.kind === "retry" || attempt.outcome.kind === "terminal") errors.inc();
      duration.observe(attempt.durationMs / 1000);
    },
    onWrite(write) {
      writes.inc({ verb: write.verb, resource: write.resource });
    },
    onUnowned() {
      unowned.inc();
    },
    onInvalidObject({ source, resource }) {
      invalid.inc({ source, resource });
    },
    onInformerError({ error }) {
      if (error instanceof SourceLimitError) {
        limited.inc({ source: error.source, limit: error.limit });
      }
    },
  };
}

/** The gauges, each reading `read()` at scrape time. */
function registerGauges(registers: Registry[], read: () => ReflectorGauges): void {
  new Gauge({
    name: "service_reflector_queue_depth",
    help: "Keys waiting to be reconciled.",
    registers,
    collect() {
      this.set(read().queueLength);
    },
  });
  new Gauge({
    name: "service_reflector_mirrors",
    help: "Mirror Services managed in the host.",
    registers,
    collect() {
      this.set(read().mirrors);
    },
  });
  new Gauge({
    name: "service_reflector_source_synced",
    help: "1 when a source's caches have synced, else 0.",
    labelNames: ["source"],
    registers,
    collect() {
      // Only the sources of the observed Reflector: none on a standby replica.
      this.reset();
      for (const [source, synced] of Object.entries(read().sourcesSynced)) {
        this.set({ source }, synced ? 1 : 0);
      }
    },
  });
}
