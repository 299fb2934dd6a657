/**
 * Prometheus metrics of a Reflector. The two counters of the 2019 Go
 * original keep their names (`service_reflector_reconcile_attempts_total`,
 * `service_reflector_reconcile_errors_total`) so existing dashboards work.
 *
 * @module
 */

import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Attempt } from "../controller/controller.ts";
import type { KubeObject } from "../kube/object.ts";
import { StatusError } from "../kube/status_error.ts";
import { TransportError } from "../kube/transport.ts";
import { WatchStreamError } from "../kube/watch_stream.ts";
import type { SourceState } from "./source_state.ts";
import type { NameClash, Write } from "./applier.ts";
import type { InformerFailure, ReflectorObserver } from "./observer.ts";
import type { InvalidObject } from "./_source_admission.ts";
import { SourceLimitError } from "./source_limits.ts";

/** What the gauges read at scrape time (a Reflector has these). */
export interface ReflectorGauges {
  /** Keys waiting in the queue. */
  readonly queueLength: number;
  /** Mirror Services the host holds. */
  readonly mirrors: number;
  /** Mirrors whose sources disagree. */
  readonly mirrorsInConflict: number;
  /** Mirror names claimed by several source Services. */
  readonly namesInCollision: number;
  /** The state of each source. */
  readonly sourceStates: readonly SourceState[];
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
  /** Counts the write the host refused for want of a permission, by verb, resource and code. */
  onWriteDenied(write: Write, error: StatusError): void;
  /** Observes the propagation delay by source. */
  onPropagated(source: string, ms: number): void;
  /** Counts the conflict. */
  onUnowned(key: string): void;
  /** Counts the invalid object by source and resource. */
  onInvalidObject(invalid: InvalidObject): void;
  /**
   * Counts a source's failure by source, phase and kind, and a bound it
   * exceeded by source and bound (the host's failures are not counted here).
   */
  onInformerError(failure: InformerFailure): void;
  /** Counts the clash by resource. */
  onNameClash(key: string, clash: NameClash): void;
  /** Counts the foreign endpoint objects found. */
  onStrays(key: string, strays: KubeObject[]): void;
}

/** What the gauges read with no Reflector (before one exists, and on a standby): all 0, no source. */
export const idleGauges: ReflectorGauges = Object.freeze({
  queueLength: 0,
  mirrors: 0,
  mirrorsInConflict: 0,
  namesInCollision: 0,
  sourceStates: [],
});

/** Registers the Reflector's metrics in `registry` and returns the observer that keeps them. */
export function reflectorMetrics(registry: Registry): ReflectorMetrics {
  const registers = [registry];
  let gauges: ReflectorGauges = idleGauges;
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
  const denied = new Counter({
    name: "service_reflector_writes_denied_total",
    help: "Writes the host refused for want of a permission (401 or 403), by verb, resource and " +
      "code; /readyz?verbose names each kind until one of it is accepted again.",
    labelNames: ["verb", "resource", "code"],
    registers,
  });
  const propagation = new Histogram({
    name: "service_reflector_propagation_seconds",
    help: "From a source change seen on its watch to the first host write it caused, by source.",
    labelNames: ["source"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
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
    onWriteDenied(write, error) {
      denied.inc({ verb: write.verb, resource: write.resource, code: String(error.code) });
    },
    onPropagated(source, ms) {
      propagation.observe({ source }, ms / 1000);
    },
    ...conflictCounters(registers),
    ...sourceCounters(registers),
  };
}

/** The counters of objects in the host the Reflector leaves alone. */
function conflictCounters(
  registers: Registry[],
): Pick<ReflectorMetrics, "onUnowned" | "onNameClash" | "onStrays"> {
  const unowned = new Counter({
    name: "service_reflector_unowned_conflicts_total",
    help: "Reconciles that found a same-named host Service not owned by service-reflector.",
    registers,
  });
  const clashes = new Counter({
    name: "service_reflector_name_clashes_total",
    help:
      "Names a mirror's object asked for that the host held an object of not owned by service-reflector, by resource.",
    labelNames: ["resource"],
    registers,
  });
  const strays = new Counter({
    name: "service_reflector_foreign_endpoints_total",
    help:
      "Endpoint objects of a mirror not owned by service-reflector, found after a hand-added selector was removed.",
    registers,
  });
  return {
    onUnowned() {
      unowned.inc();
    },
    onNameClash(_key, clash) {
      clashes.inc({ resource: clash.resource });
    },
    onStrays(_key, found) {
      strays.inc(found.length);
    },
  };
}

/** The counters of what went wrong with a source. */
function sourceCounters(
  registers: Registry[],
): Pick<ReflectorMetrics, "onInvalidObject" | "onInformerError"> {
  const sourceErrors = new Counter({
    name: "service_reflector_source_errors_total",
    help: "Failures reaching a source, by source, phase (discovery, list, watch, handler) and " +
      "kind (http_<code>, timeout, transport, stream, limit, other).",
    labelNames: ["source", "phase", "kind"],
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
  return {
    onInvalidObject({ source, resource }) {
      invalid.inc({ source, resource });
    },
    onInformerError({ cluster, phase, error }) {
      if (cluster !== "host") sourceErrors.inc({ source: cluster, phase, kind: errorKind(error) });
      if (error instanceof SourceLimitError) {
        limited.inc({ source: error.source, limit: error.limit });
      }
    },
  };
}

/** The gauges, each reading `read()` at scrape time. */
function registerGauges(registers: Registry[], read: () => ReflectorGauges): void {
  const gauge = (name: string, help: string, value: (gauges: ReflectorGauges) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(value(read()));
      },
    });
  gauge(
    "service_reflector_queue_depth",
    "Keys waiting to be reconciled.",
    (each) => each.queueLength,
  );
  gauge(
    "service_reflector_mirrors_in_conflict",
    "Mirrors whose sources disagree on a field; the oldest source Service wins.",
    (each) => each.mirrorsInConflict,
  );
  gauge(
    "service_reflector_mirror_names_in_collision",
    "Mirror names several source Services render to; the oldest has the name, the others are not " +
      "mirrored.",
    (each) => each.namesInCollision,
  );
  gauge(
    "service_reflector_mirrors",
    "Mirror Services managed in the host.",
    (each) => each.mirrors,
  );
  registerSourceGauges(registers, read);
}

/** The gauges by source, each reading `read()` at scrape time. */
function registerSourceGauges(registers: Registry[], read: () => ReflectorGauges): void {
  // Only the sources of the observed Reflector: none on a standby replica.
  const perSource = (
    name: string,
    help: string,
    value: (state: SourceState) => number | undefined,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ["source"],
      registers,
      collect() {
        this.reset();
        for (const state of read().sourceStates) {
          const measured = value(state);
          if (measured !== undefined) this.set({ source: state.name }, measured);
        }
      },
    });
  perSource(
    "service_reflector_source_synced",
    "1 once a source's caches have synced, else 0; it stays 1 while the source is unreachable " +
      "(its last state is kept): see service_reflector_source_up.",
    (state) => state.synced ? 1 : 0,
  );
  perSource(
    "service_reflector_source_up",
    "1 while a source is reached (every watch of it healthy and, while it is silent, its probes " +
      "answered), else 0.",
    (state) => state.connected ? 1 : 0,
  );
  perSource(
    "service_reflector_source_stale",
    "1 while a source is stale (unreachable past --reflector.stale-after): its endpoints are withdrawn.",
    (state) => state.stale ? 1 : 0,
  );
  perSource(
    "service_reflector_source_services_exported",
    "Services a source exports: selected by the Reflector's selector, not mirrors themselves.",
    (state) => state.exported,
  );
  perSource(
    "service_reflector_source_mirrors_contributed",
    "Mirrors a source's Services make, alone or merged with other sources', as last reconciled.",
    (state) => state.contributed,
  );
  perSource(
    "service_reflector_source_mirrors_in_conflict",
    "Mirrors whose sources disagree that a source is one of, as last reconciled.",
    (state) => state.conflicts,
  );
  perSource(
    "service_reflector_source_last_contact_timestamp_seconds",
    "Unix time of the last successful contact with a source (a list, an accepted watch, a byte " +
      "of one, a probe's answer).",
    (state) => state.lastContactMs === undefined ? undefined : state.lastContactMs / 1000,
  );
}

/** The kind of a failure reaching a source, a label value of few values. */
function errorKind(error: unknown): string {
  if (error instanceof StatusError) return `http_${error.code}`;
  if (error instanceof TransportError) {
    return error.cause instanceof DOMException && error.cause.name === "TimeoutError"
      ? "timeout"
      : "transport";
  }
  if (error instanceof WatchStreamError) return "stream";
  if (error instanceof SourceLimitError) return "limit";
  return "other";
}
