/**
 * The command's Reflector: a {@linkcode Reflector} of the host cluster with
 * every hook wired to the structured log and to the metrics.
 *
 * @module
 */

import type { RestClient } from "../kube/rest.ts";
import type { Logger } from "../log/logger.ts";
import type { ReflectorMetrics } from "../reflector/metrics.ts";
import { Reflector } from "../reflector/reflector.ts";
import type { SourceOptions } from "../reflector/source.ts";
import type { ReflectorConfig } from "./flags.ts";

/** Options of {@linkcode commandReflector}. */
export interface CommandReflectorOptions {
  /** Client of the host cluster. */
  host: RestClient;
  /** The sources, already loaded. */
  sources: SourceOptions[];
  /** The `--reflector.*` settings. */
  config: ReflectorConfig;
  /** `--namespace`; omitted for all. */
  namespace?: string;
  /** Logs go to its `reflector` child. */
  logger: Logger;
  /** Registered once per process; each new Reflector is observed through it. */
  metrics: ReflectorMetrics;
}

/** A new Reflector that logs and counts what it does. */
export function commandReflector(options: CommandReflectorOptions): Reflector {
  const { config, metrics } = options;
  const log = options.logger.child({ component: "reflector" });
  const reflector = new Reflector({
    host: options.host,
    sources: options.sources,
    ...(options.namespace ? { namespace: options.namespace } : {}),
    createNamespaces: config.createNamespaces,
    legacyEndpoints: config.legacyEndpoints,
    workers: config.workers,
    onAttempt: (attempt) => {
      metrics.onAttempt(attempt);
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
    onWrite: (write) => {
      metrics.onWrite(write);
      log.info("wrote", { ...write });
    },
    onUnowned: (key) => {
      metrics.onUnowned(key);
      log.warn(
        "not mirrored: the host has a Service of that name that service-reflector does not own",
        { key },
      );
    },
    onNamespaceMissing: (key) => log.warn("waiting for the namespace", { key }),
    onStopping: (phase) => log.debug("stopping", { phase }),
    onInformerError: (error, cluster, phase) =>
      log.warn("informer failure", { cluster, phase, error }),
  });
  metrics.observe(reflector);
  return reflector;
}
