/**
 * The command's Reflector: a {@linkcode Reflector} of the host cluster
 * observed by the metrics and by the structured log, both.
 *
 * @module
 */

import type { RestClient } from "../kube/rest.ts";
import type { Logger } from "../log/logger.ts";
import type { DeniedWrites } from "../reflector/denied_writes.ts";
import type { ReflectorMetrics } from "../reflector/metrics.ts";
import { fanOut, type ReflectorObserver } from "../reflector/observer.ts";
import { Reflector } from "../reflector/reflector.ts";
import { describeProblems } from "../reflector/source_shape.ts";
import type { SourceConfig } from "../reflector/source_config.ts";
import type { ReflectorSettings } from "./_reflector_settings.ts";

/** Options of {@linkcode commandReflector}. */
export interface CommandReflectorOptions {
  /** Client of the host cluster. */
  host: RestClient;
  /** The sources, already loaded. */
  sources: readonly SourceConfig[];
  /** What the flags decide (`_reflector_settings.ts`). */
  settings: ReflectorSettings;
  /** Logs go to its `reflector` child. */
  logger: Logger;
  /** Registered once per process; each new Reflector is observed through it. */
  metrics: ReflectorMetrics;
  /** Also told of the Reflector's writes and of the host's refusals of them. */
  denied?: DeniedWrites;
}

/** A new Reflector with `settings` that logs and counts what it does. */
export function commandReflector(options: CommandReflectorOptions): Reflector {
  const { metrics } = options;
  const reflector = new Reflector({
    ...options.settings,
    host: options.host,
    sources: [...options.sources],
    observer: fanOut(
      metrics,
      logObserver(options.logger.child({ component: "reflector" })),
      ...(options.denied ? [options.denied] : []),
    ),
  });
  metrics.observe(reflector);
  return reflector;
}

/** The observer that writes what a Reflector does to `log`. */
function logObserver(log: Logger): ReflectorObserver {
  return {
    onAttempt: (attempt) => {
      const fields = {
        key: attempt.key,
        reconcileId: attempt.reconcileId,
        outcome: attempt.outcome.kind,
      };
      if (attempt.outcome.kind === "retry" || attempt.outcome.kind === "terminal") {
        log.warn("reconcile failed", { ...fields, error: attempt.outcome.error });
      } else {
        log.debug("reconciled", { ...fields, ms: Math.round(attempt.durationMs) });
      }
    },
    onWrite: (write) => log.info("wrote", { ...write }),
    onUnowned: (key) =>
      log.warn(
        "not mirrored: the host has a Service of that name that service-reflector does not own",
        { key },
      ),
    onNameClash: (key, { resource, wanted, written }) =>
      log.warn("name taken by an object service-reflector does not own; left alone", {
        key,
        resource,
        wanted,
        writtenAs: written?.metadata?.name ?? "(not written)",
      }),
    onStrays: (key, strays) =>
      log.warn("endpoints not managed by service-reflector feed the mirror; left alone", {
        key,
        objects: strays.map((stray) => `${stray.kind}/${stray.metadata?.name}`),
      }),
    onMergeConflict: (key, conflicts) =>
      log.warn("the sources disagree; the oldest source Service wins", {
        key,
        conflicts: conflicts.map(({ field, sources }) => `${field}: ${sources.join(" > ")}`),
      }),
    onNameCollision: (key, { winner, losers }) =>
      log.warn("several source Services want one mirror name; the oldest has it", {
        key,
        winner,
        losers: [...losers],
      }),
    onStale: (source, stale) =>
      stale
        ? log.warn("source stale: its endpoints are withdrawn until it is reached again", {
          source,
        })
        : log.info("source reached again: its endpoints are restored", { source }),
    onReachability: (source, url, error) =>
      error === undefined
        ? log.info("source answers again", { source, url })
        : log.warn("source unreachable: a round trip got no answer", { source, url, error }),
    onNamespaceMissing: (namespace, key) =>
      log.warn("waiting for the namespace", { namespace, firstKey: key }),
    onStopping: (phase) => log.debug("stopping", { phase }),
    onInformerError: ({ cluster, url, phase, error }) =>
      log.warn("informer failure", { cluster, ...(url ? { url } : {}), phase, error }),
    onMode: (source, mode) => log.info("reading endpoints", { source, api: mode }),
    onInvalidObject: ({ source, resource, object, resourceVersion, problems }) =>
      log.warn("skipped an invalid source object", {
        source,
        resource,
        object,
        resourceVersion,
        problems: describeProblems(problems),
      }),
  };
}
