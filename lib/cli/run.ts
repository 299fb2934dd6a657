/**
 * Runs service-reflector from a parsed {@linkcode Config}: start-up in the
 * order config -> clients -> informers (inside the components) -> servers,
 * then everything until `signal` aborts, then a shutdown that stops the
 * servers, drains the Reflector's workers and ends the Emitter's watches.
 *
 * With `--leader-elect`, the Emitter and the servers run on every replica
 * and the Reflector only on the one holding the Lease; `/readyz` then waits
 * for the Reflector's host caches on the leader only, and `/healthz` fails
 * when the leader's renewals are overdue (a stuck process).
 *
 * Everything that can be wrong in the configuration (a kubeconfig that
 * does not load, a token file or certificate that cannot be read) is found
 * before anything runs and reported as a {@linkcode StartupError} naming
 * the flag, so the command can exit 2 with one line.
 *
 * @module
 */

import type { Registry } from "prom-client";
import { Emitter } from "../emitter/emitter.ts";
import { emitterMetrics } from "../emitter/metrics.ts";
import { serveEmitter } from "../emitter/servers.ts";
import { serve, type Server } from "../emitter/serve.ts";
import { tokenAuthenticator } from "../emitter/token_auth.ts";
import type { ClientConfig } from "../kube/config/client_config.ts";
import { inClusterConfig } from "../kube/config/in_cluster.ts";
import { loadKubeconfig } from "../kube/config/kubeconfig.ts";
import { defaultIdentity, LeaderElector } from "../kube/leader_election.ts";
import { parseLabelSelector } from "../kube/label_selector.ts";
import { RestClient } from "../kube/rest.ts";
import { Transport } from "../kube/transport.ts";
import type { Logger } from "../log/logger.ts";
import { reflectorMetrics } from "../reflector/metrics.ts";
import type { Reflector } from "../reflector/reflector.ts";
import type { SourceOptions } from "../reflector/source.ts";
import type { Config } from "./flags.ts";
import { leaderMetrics, runWhileLeading } from "./_leader.ts";
import { commandReflector } from "./_reflector.ts";
import { type HealthCheck, listenHandler } from "./listen_server.ts";

/** A configuration problem found at start-up; the command exits 2 with its message. */
export class StartupError extends Error {
  /** The flag whose value is at fault. */
  readonly flag: string;

  /** Creates the error for `flag`, keeping `cause`. */
  constructor(flag: string, cause: unknown) {
    super(`${flag}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "StartupError";
    this.flag = flag;
  }
}

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

async function attempt<T>(flag: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw new StartupError(flag, error);
  }
}

/** This cluster's client config, and the Pod's namespace when it came from in-cluster config. */
async function ownCluster(
  config: Config,
): Promise<{ client: ClientConfig; podNamespace?: string }> {
  if (config.kubeconfig) {
    const path = config.kubeconfig;
    return { client: (await attempt("--kubeconfig", () => loadKubeconfig({ path }))).config };
  }
  if (config.inCluster) {
    const inCluster = await attempt("--kubeconfig", () => inClusterConfig());
    return { client: inCluster.config, podNamespace: inCluster.namespace };
  }
  return { client: (await attempt("--kubeconfig", () => loadKubeconfig())).config };
}

/** Runs the configured components until `options.signal` aborts. Throws StartupError on bad configuration. */
export async function runService(config: Config, options: RunServiceOptions): Promise<void> {
  const { logger, registry, signal } = options;
  const own = await ownCluster(config);
  const transports: Transport[] = [];
  const transport = (client: ClientConfig) => {
    const created = new Transport(client);
    transports.push(created);
    return new RestClient(created);
  };

  // Everything is loaded and checked before anything starts.
  const emitterSetup = config.emitter.enabled
    ? {
      authenticate: config.emitter.tokenFile
        ? await attempt("--emitter.token-file", () =>
          tokenAuthenticator(config.emitter.tokenFile as string, {
            onReloadError: (error) =>
              logger.warn("cannot reload the token file", { component: "emitter", error }),
          }))
        : undefined,
      tls: config.emitter.tls
        ? {
          cert: await attempt("--emitter.tls-cert-file", () =>
            Deno.readTextFile(config.emitter.tls?.certFile ?? "")),
          key: await attempt("--emitter.tls-private-key-file", () =>
            Deno.readTextFile(config.emitter.tls?.keyFile ?? "")),
        }
        : undefined,
      clientCa: config.emitter.clientCaFile
        ? [
          await attempt(
            "--emitter.client-ca",
            () =>
              Deno.readTextFile(config.emitter.clientCaFile as string),
          ),
        ]
        : undefined,
    }
    : undefined;
  const sources: SourceOptions[] = [];
  if (config.reflector.enabled) {
    for (const source of config.reflector.sources) {
      const client = "url" in source
        ? source.config
        : (await attempt("--reflector.source-kubeconfig", () =>
          loadKubeconfig({ path: source.kubeconfig }))).config;
      const log = logger.child({ component: "reflector", source: source.name });
      sources.push({
        name: source.name,
        config: client,
        selector: config.reflector.selector,
        onMode: (mode) => log.info("reading endpoints", { api: mode }),
      });
    }
  }

  const host = config.reflector.enabled ? transport(own.client) : undefined;
  const election = config.leaderElection;
  let elector: LeaderElector | undefined;
  try {
    elector = host && election
      ? await attempt("--leader-elect-resource-namespace", () =>
        Promise.resolve(
          new LeaderElector({
            rest: host,
            namespace: election.namespace ?? own.podNamespace ?? "default",
            name: election.name,
            identity: defaultIdentity(),
            leaseDurationMs: election.leaseDurationMs,
            renewDeadlineMs: election.renewDeadlineMs,
            retryPeriodMs: election.retryPeriodMs,
            onError: (error) =>
              logger.warn("leader election error", { component: "leader-election", error }),
          }),
        ))
      : undefined;
  } catch (error) {
    for (const each of transports) each.close();
    throw error;
  }

  const running: Promise<void>[] = [];
  let stopped: PromiseSettledResult<void>[] = [];
  const servers: Server[] = [];
  const live: HealthCheck[] = [];
  const ready: HealthCheck[] = [];
  const stop = new AbortController();
  try {
    if (emitterSetup) {
      const log = logger.child({ component: "emitter" });
      const emitter = new Emitter({
        rest: transport(own.client),
        selector: parseLabelSelector(config.emitter.selector),
        ...(config.namespace ? { namespace: config.namespace } : {}),
        ...(emitterSetup.authenticate ? { authenticate: emitterSetup.authenticate } : {}),
        ...emitterMetrics(registry),
        onUpstreamError: (error, resource, phase) =>
          log.warn("upstream failure", { resource, phase, error }),
        onError: (error) => log.error("request failed", { error }),
      });
      running.push(emitter.run(stop.signal).then(() => log.debug("stopped")));
      ready.push({
        name: "emitter",
        check: () => emitter.ready ? undefined : "caches not synced",
      });
      const listening = await serveEmitter(emitter.handler, {
        bindAddress: config.emitter.bindAddress,
        insecurePort: config.emitter.insecurePort,
        securePort: config.emitter.securePort,
        ...(emitterSetup.tls ? { tls: emitterSetup.tls } : {}),
        ...(config.emitter.certDir ? { certDir: config.emitter.certDir } : {}),
        ...(emitterSetup.clientCa ? { clientCa: emitterSetup.clientCa } : {}),
        signal: stop.signal,
        onError: (error) => log.error("serving failed", { error }),
      });
      for (const server of [listening.insecure, listening.secure]) if (server) servers.push(server);
      log.info("serving", {
        insecurePort: listening.insecure?.port ?? 0,
        securePort: listening.secure?.port ?? 0,
        ...(listening.selfSignedFingerprint
          ? { selfSignedSha256: listening.selfSignedFingerprint }
          : {}),
      });
    }
    if (host) {
      const log = logger.child({ component: "reflector" });
      const metrics = reflectorMetrics(registry);
      // The Reflector of the current term; a replica that wins the Lease again gets a new one.
      let current: Reflector | undefined;
      const runReflector = async (signal: AbortSignal) => {
        const reflector = commandReflector({
          host,
          sources,
          config: config.reflector,
          ...(config.namespace ? { namespace: config.namespace } : {}),
          logger,
          metrics,
        });
        current = reflector;
        if (sources.length === 0) log.info("no sources configured yet: the Reflector is idle");
        try {
          await reflector.run(signal);
        } finally {
          current = undefined;
          // A standby runs no Reflector: its gauges read as idle, not as the last term's.
          metrics.observe({ queueLength: 0, mirrors: 0, sourcesSynced: {} });
          log.debug("stopped");
        }
      };
      if (elector && election) {
        leaderMetrics(registry, elector);
        running.push(runWhileLeading({
          elector,
          lead: runReflector,
          signal: stop.signal,
          logger: logger.child({ component: "leader-election" }),
          pauseMs: election.retryPeriodMs,
        }));
        live.push({
          name: "leader-election",
          check: () =>
            elector.healthy()
              ? undefined
              : "leading, but the Lease was last renewed more than the lease duration + 20 s ago",
        });
        ready.push({
          name: "reflector",
          check: () =>
            !elector.isLeader || current?.hostSynced
              ? undefined
              : "leading, host caches not synced",
        });
      } else {
        running.push(runReflector(stop.signal));
        ready.push({
          name: "reflector",
          check: () => current?.hostSynced ? undefined : "host caches not synced",
        });
      }
    }
    const listen = await serve(
      listenHandler({ registry, live, ready }),
      { hostname: config.listen.hostname, port: config.listen.port, signal: stop.signal },
    );
    servers.push(listen);
    logger.info("started", { listen: listen.port });
    options.onListening?.({ listen: listen.port });

    await new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
    logger.info("shutting down");
  } finally {
    stop.abort();
    // Every component finishes its shutdown (the Lease is released only after
    // the Reflector stopped) before a failure of one is passed on.
    stopped = await Promise.allSettled(running);
    logger.debug("components stopped");
    await Promise.allSettled(servers.map((server) => server.finished));
    logger.debug("servers closed");
    for (const each of transports) each.close();
  }
  const failed = stopped.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
}
