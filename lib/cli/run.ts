/**
 * Runs service-reflector from a parsed {@linkcode Config}, in named stages:
 *
 * 1. load the set-up (`_load_setup.ts`): every file and kubeconfig is read
 *    and checked before anything starts, and a bad one is a
 *    {@linkcode StartupError} naming the flag, so the command can exit 2 with
 *    one line;
 * 2. start the Emitter (`_start_emitter.ts`);
 * 3. start the Reflector (`_start_reflector.ts`), under `--leader-elect`
 *    only while this replica holds the Lease;
 * 4. serve `--listen` (`_serve_listen.ts`) with every stage's checks;
 * 5. once `signal` aborts, or a stage failed, shut down (`_shut_down.ts`):
 *    every component stops before any server is awaited, clients close
 *    last, and the first component failure is thrown. The stop signal is
 *    also the lifetime of the kubeconfigs' credentials, so its abort, the
 *    first step, kills every exec plugin still running (its whole process
 *    group) and no other starts.
 *
 * Each stage returns what it started, or stops it and rejects, so what is
 * stopped is exactly what started.
 *
 * @module
 */

import type { Registry } from "prom-client";
import type { Logger } from "../log/logger.ts";
import type { Config } from "./flags.ts";
import { connectionCaps, descriptorWarning, ownOpenFilesLimit } from "./_descriptor_budget.ts";
import { loadSetup } from "./_load_setup.ts";
import { reflectorSettings } from "./_reflector_settings.ts";
import { serveListen } from "./_serve_listen.ts";
import { shutDown } from "./_shut_down.ts";
import { startEmitter } from "./_start_emitter.ts";
import { startReflector } from "./_start_reflector.ts";
import type { Started } from "./_started.ts";

export { StartupError } from "./_startup_error.ts";

/** Options of {@linkcode runService}. */
export interface RunServiceOptions {
  /** Aborting starts the shutdown. */
  signal: AbortSignal;
  /** Where logs go. */
  logger: Logger;
  /** Where metrics are registered (and served on `--listen`). */
  registry: Registry;
  /** Told when every server listens, with the `--listen` port (useful with port 0). */
  onListening?: (ports: { listen: number }) => void;
}

/**
 * Runs the configured components until `options.signal` aborts. Rejects
 * with a `StartupError` on bad configuration, before anything started.
 */
export async function runService(config: Config, options: RunServiceOptions): Promise<void> {
  const { logger, registry } = options;
  // Also the credentials' lifetime: the shutdown's first step kills every exec plugin in flight.
  const stop = new AbortController();
  const setup = await loadSetup(config, { logger, signal: stop.signal });
  const descriptors = descriptorWarning(connectionCaps(config), ownOpenFilesLimit());
  if (descriptors) logger.warn(descriptors.message, descriptors.fields);
  const common = { registry, logger, signal: stop.signal };
  const started: Started[] = [setup.started];
  let failure: PromiseRejectedResult | undefined;
  try {
    if (setup.emitter) {
      const namespace = config.namespace ? { namespace: config.namespace } : {};
      started.push(
        await startEmitter(setup.emitter, { ...common, config: config.emitter, ...namespace }),
      );
    }
    if (setup.reflector) {
      started.push(
        startReflector(setup.reflector, { ...common, settings: reflectorSettings(config) }),
      );
    }
    const listen = await serveListen(config.listen, {
      registry,
      started,
      signal: stop.signal,
      ...config.listenLimits,
      logger,
    });
    started.push(listen);
    logger.info("started", { listen: listen.port });
    options.onListening?.({ listen: listen.port });
    await aborted(options.signal);
    logger.info("shutting down");
  } finally {
    failure = await shutDown(started, { stop, logger });
  }
  if (failure) throw failure.reason;
}

/** Resolves once `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
