/**
 * The Emitter's stage: this cluster's Emitter, its caches filling from the
 * moment it starts, then its HTTP and HTTPS listeners, all stopping when the
 * stage's signal aborts; `/readyz` gets its `emitter` check (caches synced).
 *
 * As every stage, it returns all it started, or stops it and rejects: when a
 * listener cannot start (a port taken), the Emitter it already started is
 * stopped before the error is passed on.
 *
 * @module
 */

import type { Registry } from "prom-client";
import { Emitter } from "../emitter/emitter.ts";
import { emitterMetrics } from "../emitter/metrics.ts";
import { type EmitterServers, serveEmitter } from "../emitter/servers.ts";
import { parseLabelSelector } from "../kube/label_selector.ts";
import type { Logger } from "../log/logger.ts";
import type { EmitterConfig } from "./flags.ts";
import type { EmitterSetup } from "./_load_setup.ts";
import type { Started } from "./_started.ts";
import { connectionReports } from "./_connection_reports.ts";

/** Options of {@linkcode startEmitter}. */
export interface StartEmitterOptions {
  /** The `--emitter.*` settings. */
  config: EmitterConfig;
  /** `--namespace`; omitted for all. */
  namespace?: string;
  /** Where the Emitter's metrics are registered (once per registry). */
  registry: Registry;
  /** Logs go to its `emitter` child. */
  logger: Logger;
  /** Aborting stops the Emitter and its listeners. */
  signal: AbortSignal;
}

/** Starts the Emitter and its listeners; resolves once they listen. */
export async function startEmitter(
  setup: EmitterSetup,
  options: StartEmitterOptions,
): Promise<Started> {
  const log = options.logger.child({ component: "emitter" });
  const emitter = new Emitter({
    rest: setup.rest,
    selector: parseLabelSelector(options.config.selector),
    ...(options.namespace ? { namespace: options.namespace } : {}),
    ...(setup.authenticate ? { authenticate: setup.authenticate } : {}),
    ...emitterMetrics(options.registry),
    onUpstreamError: (error, resource, phase) =>
      log.warn("upstream failure", { resource, phase, error }),
    onError: (error) => log.error("request failed", { error }),
  });
  // The stage's own stop, for a failure before it returns; the caller's signal stops it too.
  const failed = new AbortController();
  const signal = AbortSignal.any([options.signal, failed.signal]);
  const running = emitter.run(signal).then(() => log.debug("stopped"));
  let listening: EmitterServers;
  try {
    listening = await listen(emitter, setup, { ...options, signal, log });
  } catch (error) {
    failed.abort();
    await Promise.allSettled([running]);
    throw error;
  }
  return {
    tasks: [running],
    servers: [listening.insecure, listening.secure].filter((server) => server !== undefined),
    ready: [{ name: "emitter", check: () => emitter.ready ? undefined : "caches not synced" }],
  };
}

/** The Emitter's listeners, logged once they listen. */
async function listen(
  emitter: Emitter,
  setup: EmitterSetup,
  options: { config: EmitterConfig; signal: AbortSignal; log: Logger },
): Promise<EmitterServers> {
  const { config, log } = options;
  const listening = await serveEmitter(emitter.handler, {
    bindAddress: config.bindAddress,
    insecurePort: config.insecurePort,
    securePort: config.securePort,
    maxConnections: config.maxConnections,
    requestHeaderTimeoutMs: config.requestHeaderTimeoutMs,
    ...connectionReports(log, "--emitter.max-connections"),
    ...(setup.tls ? { tls: setup.tls } : {}),
    ...(config.certDir ? { certDir: config.certDir } : {}),
    ...(setup.clientCa ? { clientCa: setup.clientCa } : {}),
    signal: options.signal,
    onError: (error) => log.error("serving failed", { error }),
  });
  log.info("serving", {
    insecurePort: listening.insecure?.port ?? 0,
    securePort: listening.secure?.port ?? 0,
    ...(listening.selfSignedFingerprint
      ? { selfSignedSha256: listening.selfSignedFingerprint }
      : {}),
  });
  return listening;
}
