/**
 * Prometheus metrics of one Emitter, fed by the hooks of the request
 * handler ({@linkcode HandlerOptions.onRequest}) and of the watch hub
 * ({@linkcode WatchHubOptions.onWatchers}, `onSent`, `onSlowWatcher`):
 *
 * - `service_reflector_emitter_requests_total{verb,code}` (counter):
 *   requests answered, by verb (`get`, `list`, `watch`, `discovery`,
 *   `health`, `other`) and HTTP status code. A watch counts once, when it
 *   opens.
 * - `service_reflector_emitter_watchers` (gauge): watches open now.
 * - `service_reflector_emitter_events_sent_total{resource}` (counter):
 *   watch events written to watchers, by resource (`services`,
 *   `endpoints`, `endpointslices`); the initial state a watch starts with
 *   is not counted, changes are.
 * - `service_reflector_emitter_slow_watchers_closed_total{resource}`
 *   (counter): watches closed because they fell a whole send buffer behind.
 *
 * The per-resource counters start at 0 for every served resource, so
 * `rate()` sees the first increment. The metrics go in the registry given,
 * never in prom-client's global default registry.
 *
 * @module
 */

import { Counter, Gauge, type Registry } from "prom-client";
import type { HandlerOptions } from "./handler.ts";
import { servedKinds } from "./view.ts";
import type { WatchHubOptions } from "./watch.ts";

/** The hooks that feed the Emitter's metrics; pass them to the handler and the hub. */
export interface EmitterMetrics {
  /** Counts a request by verb and status code. */
  onRequest: NonNullable<HandlerOptions["onRequest"]>;
  /** Sets the number of open watches. */
  onWatchers: NonNullable<WatchHubOptions["onWatchers"]>;
  /** Counts watch events written, by resource. */
  onSent: NonNullable<WatchHubOptions["onSent"]>;
  /** Counts a watcher closed for falling behind, by resource. */
  onSlowWatcher: NonNullable<WatchHubOptions["onSlowWatcher"]>;
}

/**
 * Registers the Emitter's metrics in `registry` and returns the hooks that
 * update them. Call it once per registry: prom-client refuses a second
 * metric of the same name.
 *
 * @example Usage
 * ```ts ignore
 * import { Registry } from "prom-client";
 *
 * const metrics = emitterMetrics(new Registry());
 * const emitter = new Emitter({ rest, selector, ...metrics });
 * ```
 */
export function emitterMetrics(registry: Registry): EmitterMetrics {
  const registers = [registry];
  const requests = new Counter({
    name: "service_reflector_emitter_requests_total",
    help: "Requests answered by the Emitter, by verb and HTTP status code.",
    labelNames: ["verb", "code"] as const,
    registers,
  });
  const watchers = new Gauge({
    name: "service_reflector_emitter_watchers",
    help: "Watches open on the Emitter.",
    registers,
  });
  const sent = new Counter({
    name: "service_reflector_emitter_events_sent_total",
    help: "Watch events written to the Emitter's watchers, by resource.",
    labelNames: ["resource"] as const,
    registers,
  });
  const slow = new Counter({
    name: "service_reflector_emitter_slow_watchers_closed_total",
    help: "Watches the Emitter closed for falling a whole send buffer behind, by resource.",
    labelNames: ["resource"] as const,
    registers,
  });
  for (const resource of servedKinds) {
    sent.inc({ resource }, 0);
    slow.inc({ resource }, 0);
  }
  return {
    onRequest: (verb, code) => requests.inc({ verb, code: String(code) }),
    onWatchers: (count) => watchers.set(count),
    onSent: (resource, events) => sent.inc({ resource: resource.kind }, events),
    onSlowWatcher: (resource) => slow.inc({ resource: resource.kind }),
  };
}
