/**
 * The command's first stage: everything it needs from files and
 * kubeconfigs, read and checked before anything starts, so that a bad
 * configuration stops start-up with a {@linkcode StartupError} naming the
 * flag (see `_startup_error.ts`), and nothing was started that would need
 * stopping.
 *
 * In this order, each only for a component that runs:
 * 1. this cluster's client config: `--kubeconfig`, else the in-cluster
 *    config in a Pod, else `KUBECONFIG` or `~/.kube/config`;
 * 2. the Emitter's token file, TLS pair and client CA;
 * 3. each flag's source, then `--reflector.sources-file` with every file
 *    it names, each source by the one path of `_source_config.ts` with
 *    `--reflector.selector`, `--reflector.source-max-*` and `--namespace`
 *    as its defaults (a `--reflector.source-kubeconfig` is loaded; a
 *    `--reflector.source-api` already has its config, made once from the flag);
 * 4. the clients of this cluster, then, under `--leader-elect`, the elector,
 *    whose Lease namespace may come from the Pod.
 *
 * Nothing here sends a request, runs an exec plugin or listens: a client is
 * idle until a later stage uses it. A failure at step 4 closes the clients
 * made before it. A kubeconfig whose user has an exec plugin needs the
 * unscoped run permission; without it loading fails here.
 *
 * @module
 */

import { tokenAuthenticator } from "../emitter/token_auth.ts";
import type { ClientConfig } from "../kube/config/client_config.ts";
import { inClusterConfig, type InClusterOptions } from "../kube/config/in_cluster.ts";
import { loadKubeconfig } from "../kube/config/kubeconfig.ts";
import { defaultIdentity, LeaderElector } from "../kube/leader_election.ts";
import { RestClient } from "../kube/rest.ts";
import { Transport } from "../kube/transport.ts";
import type { Logger } from "../log/logger.ts";
import type { SourceConfig } from "../reflector/source_config.ts";
import type { Config, EmitterConfig, LeaderElectionConfig, SourceFlag } from "./flags.ts";
import type { Started } from "./_started.ts";
import { blaming } from "./_startup_error.ts";
import { resolveSource, type SourceDefaults } from "./_source_config.ts";
import { SourcesFile } from "./_sources_reload.ts";
import { clusterIdOf } from "../mcs/cluster_property.ts";

/** What the Emitter needs to start. */
export interface EmitterSetup {
  /** Client of this cluster, whose Services are emitted. */
  rest: RestClient;
  /** Tells whether a request carries an accepted token; omitted lets every request in. */
  authenticate?: (request: Request) => Promise<boolean>;
  /** The serving certificate chain and key, PEM; omitted for a self-signed pair. */
  tls?: { cert: string; key: string };
  /** The PEM CA bundle client certificates must chain to. */
  clientCa?: string[];
}

/** What the Reflector needs to start. */
export interface ReflectorSetup {
  /** Client of this cluster, where mirrors are written. */
  host: RestClient;
  /** Every source with its client config: the flags', in order, then the sources file's. */
  sources: readonly SourceConfig[];
  /** Under `--reflector.sources-file`: the file as loaded, to be kept live. */
  sourcesFile?: SourcesFile;
  /**
   * In the `mcs` dialect without `--reflector.cluster-id`: the cluster id of
   * the host's `ClusterProperty` `cluster.clusterset.k8s.io`, if it has one.
   */
  clusterId?: string;
  /** Under `--leader-elect`: the candidate, and the pause between its terms. */
  election?: { elector: LeaderElector; retryPeriodMs: number; leaseDurationMs: number };
}

/** Everything loaded; a component's part is present exactly when it runs. */
export interface Setup {
  /** The Emitter's part. */
  emitter?: EmitterSetup;
  /** The Reflector's part. */
  reflector?: ReflectorSetup;
  /** The clients made here, for the shutdown to close last. */
  started: Started;
}

/** Options of {@linkcode loadSetup}. */
export interface LoadSetupOptions {
  /** Token file reload failures and each source's endpoints API are logged here. */
  logger: Logger;
  /** Where the in-cluster config is read from (default: the process's variables and files). */
  inCluster?: InClusterOptions;
  /**
   * The lifetime of the kubeconfigs' credentials: aborting it kills every
   * exec plugin in flight, with its process group, and refuses further runs.
   */
  signal?: AbortSignal;
}

/**
 * Reads and checks everything `config` names (see the module doc). Rejects
 * with a `StartupError` naming the flag at fault.
 */
export async function loadSetup(config: Config, options: LoadSetupOptions): Promise<Setup> {
  const { logger } = options;
  const lifetime = options.signal ? { signal: options.signal } : {};
  const own = await ownCluster(config, { inCluster: options.inCluster ?? {}, ...lifetime });
  const emitterFiles = config.emitter.enabled
    ? await readEmitterFiles(config.emitter, logger)
    : undefined;
  const defaults = sourceDefaults(config, lifetime);
  const flagSources = config.reflector.enabled
    ? await loadSources(config.reflector.sources, defaults)
    : undefined;
  const { sourcesFile: path } = config.reflector;
  const sourcesFile = flagSources && path
    ? await blaming("--reflector.sources-file", () =>
      SourcesFile.load({
        path,
        fixed: flagSources,
        removeGraceMs: config.reflector.removeGraceMs,
        defaults,
      }))
    : undefined;
  const sources = sourcesFile?.sources ?? flagSources;
  const transports: Transport[] = [];
  const client = () => {
    const transport = new Transport(own.client);
    transports.push(transport);
    return new RestClient(transport);
  };
  const started = { clients: transports };
  try {
    const emitter = emitterFiles && { rest: client(), ...emitterFiles };
    if (sources === undefined) return { ...(emitter ? { emitter } : {}), started };
    const host = client();
    const election = config.leaderElection &&
      await elect(host, config.leaderElection, { podNamespace: own.podNamespace, logger });
    const clusterId = config.reflector.api === "mcs" && !config.reflector.clusterId
      ? await propertyClusterId(host, logger)
      : undefined;
    const reflector = {
      host,
      sources,
      ...(sourcesFile ? { sourcesFile } : {}),
      ...(election ? { election } : {}),
      ...(clusterId ? { clusterId } : {}),
    };
    return { ...(emitter ? { emitter } : {}), reflector, started };
  } catch (error) {
    for (const transport of transports) transport.close();
    throw error;
  }
}

/** This cluster's client config, and the Pod's namespace when it came from in-cluster config. */
async function ownCluster(
  config: Config,
  options: { inCluster: InClusterOptions; signal?: AbortSignal },
): Promise<{ client: ClientConfig; podNamespace?: string }> {
  const { inCluster, ...lifetime } = options;
  if (config.inCluster && !config.kubeconfig) {
    const pod = await blaming("--kubeconfig", () => inClusterConfig(inCluster));
    return { client: pod.config, podNamespace: pod.namespace };
  }
  const path = config.kubeconfig ? { path: config.kubeconfig } : {};
  const loaded = await blaming("--kubeconfig", () => loadKubeconfig({ ...path, ...lifetime }));
  return { client: loaded.config };
}

/** The Emitter's token authenticator, TLS pair and client CA, each read when its flag is set. */
async function readEmitterFiles(
  config: EmitterConfig,
  logger: Logger,
): Promise<Omit<EmitterSetup, "rest">> {
  const { tokenFile, tls, clientCaFile } = config;
  const onReloadError = (error: unknown) =>
    logger.warn("cannot reload the token file", { component: "emitter", error });
  const read = (flag: string, path: string) => blaming(flag, () => Deno.readTextFile(path));
  return {
    ...(tokenFile
      ? {
        authenticate: await blaming("--emitter.token-file", () =>
          tokenAuthenticator(tokenFile, { onReloadError })),
      }
      : {}),
    ...(tls
      ? {
        tls: {
          cert: await read("--emitter.tls-cert-file", tls.certFile),
          key: await read("--emitter.tls-private-key-file", tls.keyFile),
        },
      }
      : {}),
    ...(clientCaFile ? { clientCa: [await read("--emitter.client-ca", clientCaFile)] } : {}),
  };
}

/** What every source, a flag's or the sources file's, shares unless it says otherwise. */
function sourceDefaults(config: Config, lifetime: { signal?: AbortSignal }): SourceDefaults {
  return {
    selector: config.reflector.selector,
    limits: config.reflector.sourceLimits,
    ...(config.namespace ? { namespace: config.namespace } : {}),
    ...lifetime,
  };
}

/** The flags' sources as the Reflector takes them, each kubeconfig loaded, blaming its flag. */
async function loadSources(
  flags: readonly SourceFlag[],
  defaults: SourceDefaults,
): Promise<SourceConfig[]> {
  const sources: SourceConfig[] = [];
  for (const source of flags) {
    const flag = "url" in source ? "--reflector.source-api" : "--reflector.source-kubeconfig";
    sources.push(await blaming(flag, () => resolveSource(source, defaults)));
  }
  return sources;
}

/**
 * The host's cluster id from its ClusterProperty (KEP-2149), asked once,
 * for at most 10 s; none (logged) when the host has none, or cannot tell.
 */
async function propertyClusterId(host: RestClient, logger: Logger): Promise<string | undefined> {
  try {
    const clusterId = await clusterIdOf(host, { signal: AbortSignal.timeout(10_000) });
    if (clusterId) logger.info("the cluster id is the host's ClusterProperty", { clusterId });
    else {logger.info(
        "no --reflector.cluster-id and no ClusterProperty: no export's conditions are written",
      );}
    return clusterId;
  } catch (error) {
    logger.warn("cannot read the host's ClusterProperty: no export's conditions are written", {
      error,
    });
    return undefined;
  }
}

/** The candidate for the Lease, in `--leader-elect-resource-namespace`, else the Pod's, else `default`. */
async function elect(
  host: RestClient,
  config: LeaderElectionConfig,
  options: { podNamespace: string | undefined; logger: Logger },
): Promise<{ elector: LeaderElector; retryPeriodMs: number; leaseDurationMs: number }> {
  const { logger } = options;
  const elector = await blaming("--leader-elect-resource-namespace", () =>
    new LeaderElector({
      rest: host,
      namespace: config.namespace ?? options.podNamespace ?? "default",
      name: config.name,
      identity: defaultIdentity(),
      leaseDurationMs: config.leaseDurationMs,
      renewDeadlineMs: config.renewDeadlineMs,
      retryPeriodMs: config.retryPeriodMs,
      onError: (error) =>
        logger.warn("leader election error", { component: "leader-election", error }),
    }));
  return { elector, retryPeriodMs: config.retryPeriodMs, leaseDurationMs: config.leaseDurationMs };
}
