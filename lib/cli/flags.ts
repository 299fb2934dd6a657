/**
 * The command line of service-reflector, parsed into a {@linkcode Config}
 * without side effects: nothing is printed, no file is read and the process
 * never exits here; the caller prints {@linkcode ParseResult} output and
 * exits with its code.
 *
 * Flags keep the names, defaults and meaning of the original Go program
 * (pflag): `--flag=value` and `--flag value` both work, a repeated flag's last
 * value wins (except the repeatable source flags), and a boolean flag is set
 * by `--flag` or `--flag=<bool>` with Go's `strconv.ParseBool` spellings, never
 * by `--flag false` (that `false` is an unexpected argument, an error here).
 * Every value is checked before anything starts; the first bad one stops
 * parsing with exit code 2 and a one-line message naming the flag and value.
 *
 * @module
 */

import type { StaleAction } from "../reflector/stale_action.ts";
import { CommanderError } from "@commander-js/extra-typings";
import { commanderMessage, flagValues, name, normalize, program } from "./_program.ts";
import { FlagReader } from "./_flag_reader.ts";
import { parseSources, type SourceFlag } from "./_sources.ts";
import { sourceLimitFlags, type SourceLimits } from "../reflector/source_limits.ts";
import {
  type ListenAddress,
  type LogLevel,
  parseBool,
  parseByteSize,
  parseClusterId,
  parseDuration,
  parseIp,
  parseListen,
  parseLogLevel,
  parseNamespace,
  parseNameTemplate,
  parseObjectName,
  parsePort,
  parsePositiveInteger,
  parseReflectorApi,
  parseSelector,
  parseStaleAction,
  UsageError,
} from "./_values.ts";
import type { ReflectorApi } from "../reflector/reflector_api.ts";

export type { KubeconfigSource, SourceFlag, UrlSource } from "./_sources.ts";
export type { ListenAddress, LogLevel } from "./_values.ts";

/** The Emitter's settings (`--emitter.*`). */
export interface EmitterConfig {
  /** Whether the Emitter runs (`--emitter`, default true). */
  enabled: boolean;
  /** Canonical label selector on the emitted Services; empty for all (`--emitter.selector`). */
  selector: string;
  /** Plain HTTP port, 0 for off (`--emitter.insecure-port`, default 8080). */
  insecurePort: number;
  /** HTTPS port, 0 for off (`--emitter.secure-port`, default 6443). */
  securePort: number;
  /** IP address both ports listen on (`--emitter.bind-address`, default `0.0.0.0`). */
  bindAddress: string;
  /** Most open connections per port (`--emitter.max-connections`, default 1000). */
  maxConnections: number;
  /** Longest wait for a request head or TLS handshake, in ms (`--emitter.request-header-timeout`, default 30s). */
  requestHeaderTimeoutMs: number;
  /** Serving certificate and key files; omitted for a self-signed pair. */
  tls?: { certFile: string; keyFile: string };
  /** Directory keeping the self-signed pair across restarts; omitted keeps it in memory. */
  certDir?: string;
  /** File of accepted bearer tokens; omitted lets every request in (`--emitter.token-file`). */
  tokenFile?: string;
  /** PEM CA bundle client certificates must chain to on HTTPS (`--emitter.client-ca`). */
  clientCaFile?: string;
}

/** The Reflector's settings (`--reflector.*`). */
export interface ReflectorConfig {
  /** Whether the Reflector runs (`--reflector`, default true). */
  enabled: boolean;
  /** Sources with unique names, URL sources first; empty leaves the Reflector idle. */
  sources: SourceFlag[];
  /** The dialect: how sources export and the host imports (`--reflector.api`, default `mirror`). */
  api: ReflectorApi;
  /** This cluster's id in the `mcs` dialect, the name of its own source (`--reflector.cluster-id`). */
  clusterId?: string;
  /** How mirrors are named (`--reflector.name-template`, default `{name}`: merged). */
  nameTemplate: string;
  /** YAML file of more sources, reloaded as it changes (`--reflector.sources-file`). */
  sourcesFile?: string;
  /** How long a source removed from the sources file still counts, in ms (`--reflector.remove-grace`, default 5 min; 0 when empty). */
  removeGraceMs: number;
  /** Canonical label selector on the sources' Services; empty for all (`--reflector.selector`). */
  selector: string;
  /** Concurrent reconciles (`--reflector.workers`, default 4). */
  workers: number;
  /** Also write core v1 Endpoints (`--reflector.endpoints`, default false). */
  legacyEndpoints: boolean;
  /** Create missing namespaces in the host (`--reflector.create-namespaces`, default true). */
  createNamespaces: boolean;
  /** How often every key is reconciled again, in ms (`--reflector.resync-period`, default 10m). */
  resyncMs: number;
  /** Bounds on what each source may send (`--reflector.source-max-*`). */
  sourceLimits: SourceLimits;
  /** How long a source may be unreachable before its endpoints are withdrawn, in ms; omitted: never (`--reflector.stale-after`). */
  staleAfterMs?: number;
  /** What becomes of a stale source's endpoints (`--reflector.stale-action`, default `not-ready`). */
  staleAction: StaleAction;
}

/** Leader election settings (`--leader-elect-*`), present when `--leader-elect` is on. */
export interface LeaderElectionConfig {
  /** Lease duration in ms (`--leader-elect-lease-duration`, default 15s). */
  leaseDurationMs: number;
  /** Renew deadline in ms (`--leader-elect-renew-deadline`, default 10s). */
  renewDeadlineMs: number;
  /** Retry period in ms (`--leader-elect-retry-period`, default 2s). */
  retryPeriodMs: number;
  /** Lease name (`--leader-elect-resource-name`, default `service-reflector`). */
  name: string;
  /** Lease namespace (`--leader-elect-resource-namespace`); omitted: decided at start-up. */
  namespace?: string;
}

/** Everything the command line decides, checked and resolved. */
export interface Config {
  /** Kubeconfig of this process's own cluster (`--kubeconfig`); omitted when empty. */
  kubeconfig?: string;
  /**
   * Whether the own cluster is reached with the Pod's in-cluster config:
   * `--kubeconfig` is empty and `KUBERNETES_SERVICE_HOST` and
   * `KUBERNETES_SERVICE_PORT` are set (client-go's test). When false and
   * `kubeconfig` is omitted, `KUBECONFIG` or `~/.kube/config` is used, as kubectl does.
   */
  inCluster: boolean;
  /** Where health and metrics are served (`--listen`, default `:9090`). */
  listen: ListenAddress;
  /** The `--listen` server's connection bounds (`--listen-max-connections`, `--listen-request-header-timeout`). */
  listenLimits: { maxConnections: number; requestHeaderTimeoutMs: number };
  /** Log level (`--log-level`, default `info`). */
  logLevel: LogLevel;
  /** The only namespace reflected and emitted; omitted for all (`--namespace`). */
  namespace?: string;
  /** The Emitter's settings. */
  emitter: EmitterConfig;
  /** The Reflector's settings. */
  reflector: ReflectorConfig;
  /** Leader election; omitted when `--leader-elect` is off and the Reflector always runs. */
  leaderElection?: LeaderElectionConfig;
}

/** What to do: run with a config, or print `output` to `stream` and exit with `code`. */
export type ParseResult =
  | { kind: "run"; config: Config }
  | { kind: "exit"; code: number; stream: "stdout" | "stderr"; output: string };

/** Options of {@linkcode parseFlags}. */
export interface ParseFlagsOptions {
  /** Reads `KUBERNETES_SERVICE_*` for {@linkcode Config.inCluster} (default: `Deno.env.get`). */
  env?: (name: string) => string | undefined;
}

function exit(code: number, output: string): ParseResult {
  return { kind: "exit", code, stream: code === 0 ? "stdout" : "stderr", output };
}

/** Checks every value, in --help order, then the rules between flags. */
function resolve(read: FlagReader, env: (name: string) => string | undefined): Config {
  const logLevel = read.check("--log-level", parseLogLevel);
  const listen = read.check("--listen", parseListen);
  const listenLimits = connectionLimitFlags(read, "--listen-");
  const namespace = read.optional("namespace", "--namespace", parseNamespace);
  const emitter = emitterFlags(read);
  const reflector = reflectorFlags(read);
  checkComponents(emitter, reflector, read);
  const leaderElection = read.check("--leader-elect", parseBool)
    ? leaderElectionFlags(read)
    : undefined;
  if (leaderElection && !reflector.enabled) {
    throw new UsageError(
      "--leader-elect decides which replica runs the Reflector, and --reflector=false runs none: " +
        "drop one of them",
    );
  }
  const kubeconfig = read.optional("kubeconfig", "--kubeconfig");
  // client-go's rest.InClusterConfig decides on exactly these two variables.
  const inCluster = kubeconfig.kubeconfig === undefined &&
    Boolean(env("KUBERNETES_SERVICE_HOST")) && Boolean(env("KUBERNETES_SERVICE_PORT"));
  return {
    ...kubeconfig,
    inCluster,
    listen,
    listenLimits,
    logLevel,
    ...namespace,
    emitter,
    reflector,
    ...(leaderElection ? { leaderElection } : {}),
  };
}

/** The `--emitter.*` values; the TLS pair is checked by {@linkcode checkComponents}. */
function emitterFlags(read: FlagReader): EmitterConfig {
  const certFile = read.text("--emitter.tls-cert-file");
  const keyFile = read.text("--emitter.tls-private-key-file");
  return {
    enabled: read.check("--emitter", parseBool),
    selector: read.check("--emitter.selector", parseSelector),
    insecurePort: read.check("--emitter.insecure-port", parsePort),
    securePort: read.check("--emitter.secure-port", parsePort),
    bindAddress: read.check("--emitter.bind-address", parseIp),
    ...connectionLimitFlags(read, "--emitter."),
    ...(certFile === "" ? {} : { tls: { certFile, keyFile } }),
    ...read.optional("certDir", "--emitter.cert-dir"),
    ...read.optional("tokenFile", "--emitter.token-file"),
    ...read.optional("clientCaFile", "--emitter.client-ca"),
  };
}

/** `<prefix>max-connections` and `<prefix>request-header-timeout`. */
function connectionLimitFlags(
  read: FlagReader,
  prefix: "--listen-" | "--emitter.",
): { maxConnections: number; requestHeaderTimeoutMs: number } {
  return {
    maxConnections: read.check(
      `${prefix}max-connections`,
      (flag, value) => parsePositiveInteger(flag, value, 1_000_000),
    ),
    requestHeaderTimeoutMs: read.check(`${prefix}request-header-timeout`, parseDuration),
  };
}

/** The `--reflector.*` values, the sources named and each URL made a client config. */
function reflectorFlags(read: FlagReader): ReflectorConfig {
  return {
    enabled: read.check("--reflector", parseBool),
    sources: parseSources(
      read.list("--reflector.source-api"),
      read.list("--reflector.source-kubeconfig"),
    ),
    ...read.optional("sourcesFile", "--reflector.sources-file"),
    api: read.check("--reflector.api", parseReflectorApi),
    ...read.optional("clusterId", "--reflector.cluster-id", parseClusterId),
    nameTemplate: read.check("--reflector.name-template", parseNameTemplate),
    removeGraceMs: read.optional("ms", "--reflector.remove-grace", parseDuration).ms ?? 0,
    selector: read.check("--reflector.selector", parseSelector),
    workers: read.check(
      "--reflector.workers",
      (flag, value) => parsePositiveInteger(flag, value, 1000),
    ),
    legacyEndpoints: read.check("--reflector.endpoints", parseBool),
    createNamespaces: read.check("--reflector.create-namespaces", parseBool),
    resyncMs: read.check("--reflector.resync-period", parseDuration),
    sourceLimits: sourceLimitFlagValues(read),
    ...read.optional("staleAfterMs", "--reflector.stale-after", parseDuration),
    staleAction: read.check("--reflector.stale-action", parseStaleAction),
  };
}

/** The `--reflector.source-max-*` values, in the order of {@linkcode sourceLimitFlags}. */
function sourceLimitFlagValues(read: FlagReader): SourceLimits {
  const count = (limit: "maxListPages" | "maxObjects", max: number) =>
    read.check(sourceLimitFlags[limit], (flag, value) => parsePositiveInteger(flag, value, max));
  const size = (limit: "maxListBytes" | "maxEventBytes") =>
    read.check(
      sourceLimitFlags[limit],
      (flag, value) => parseByteSize(flag, value, 64 * 1024 ** 3),
    );
  return {
    maxListPages: count("maxListPages", 1_000_000),
    maxListBytes: size("maxListBytes"),
    maxEventBytes: size("maxEventBytes"),
    maxObjects: count("maxObjects", 100_000_000),
  };
}

/** The rules between the components' flags: something runs, and runs with what it needs. */
function checkComponents(
  emitter: EmitterConfig,
  reflector: ReflectorConfig,
  read: FlagReader,
): void {
  if (!emitter.enabled && !reflector.enabled) {
    throw new UsageError(
      "--emitter=false and --reflector=false leave nothing to run: enable at least one",
    );
  }
  if (emitter.enabled && emitter.insecurePort === 0 && emitter.securePort === 0) {
    throw new UsageError(
      "--emitter.insecure-port=0 and --emitter.secure-port=0 leave the Emitter nothing to " +
        "listen on: turn a port on or pass --emitter=false",
    );
  }
  const certFile = read.text("--emitter.tls-cert-file");
  const keyFile = read.text("--emitter.tls-private-key-file");
  if ((certFile === "") !== (keyFile === "")) {
    const given = certFile === "" ? "--emitter.tls-private-key-file" : "--emitter.tls-cert-file";
    throw new UsageError(
      `--emitter.tls-cert-file and --emitter.tls-private-key-file must be given together: ` +
        `only ${given} is set`,
    );
  }
}

/** The `--leader-elect-*` values, with client-go's rules between the three durations. */
function leaderElectionFlags(read: FlagReader): LeaderElectionConfig {
  const leaseDurationMs = read.check("--leader-elect-lease-duration", parseDuration);
  const renewDeadlineMs = read.check("--leader-elect-renew-deadline", parseDuration);
  const retryPeriodMs = read.check("--leader-elect-retry-period", parseDuration);
  const lease = read.text("--leader-elect-lease-duration");
  const renew = read.text("--leader-elect-renew-deadline");
  if (!(leaseDurationMs > renewDeadlineMs)) {
    throw new UsageError(
      `--leader-elect-lease-duration (${lease}) must be longer than ` +
        `--leader-elect-renew-deadline (${renew})`,
    );
  }
  if (!(renewDeadlineMs > 1.2 * retryPeriodMs)) {
    throw new UsageError(
      `--leader-elect-renew-deadline (${renew}) must be longer than 1.2 x ` +
        `--leader-elect-retry-period (${read.text("--leader-elect-retry-period")})`,
    );
  }
  return {
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
    name: read.check("--leader-elect-resource-name", parseObjectName),
    ...read.optional("namespace", "--leader-elect-resource-namespace", parseNamespace),
  };
}

/**
 * Parses `argv` (the arguments after the program name). Returns the config
 * to run with, or what to print and the exit code: 0 and stdout for
 * `--help` and `--version`, 2 and a one-line stderr message starting with
 * `service-reflector: ` for a bad flag. `output` has no trailing newline.
 *
 * @example Usage
 * ```ts
 * import { parseFlags } from "./flags.ts";
 *
 * const result = parseFlags(["--reflector.source-api=http://emitter.b:8080"], { env: () => undefined });
 * if (result.kind === "run") result.config.reflector.sources; // [{ name: "emitter-b", url: ... }]
 * ```
 */
export function parseFlags(argv: readonly string[], options: ParseFlagsOptions = {}): ParseResult {
  let stdout = "";
  const command = program()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void (stdout += text),
      writeErr: () => {},
      outputError: () => {},
      getOutHelpWidth: () => 100,
      getErrHelpWidth: () => 100,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    });
  try {
    command.parse(normalize(argv), { from: "user" });
    const [extra] = command.args;
    if (extra !== undefined) {
      throw new UsageError(
        `unexpected argument ${JSON.stringify(extra)}: ${name} takes flags only, and a ` +
          "boolean flag takes its value as --flag=false",
      );
    }
    const env = options.env ?? ((variable: string) => Deno.env.get(variable));
    return { kind: "run", config: resolve(new FlagReader(flagValues(command)), env) };
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return exit(0, stdout.replace(/\n$/, ""));
      return exit(2, `${name}: ${commanderMessage(error)}`);
    }
    if (error instanceof UsageError) {
      return exit(2, `${name}: ${error.message}`);
    }
    throw error;
  }
}
