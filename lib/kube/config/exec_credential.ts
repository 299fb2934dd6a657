/**
 * Credentials from a client-go exec plugin, the `users[].user.exec` of a
 * kubeconfig (cloud CLIs, kubelogin, ...), speaking
 * `client.authentication.k8s.io/v1` or `v1beta1`.
 *
 * Contract:
 * - The plugin runs as `command args...` with this process's environment
 *   plus the plugin's `env`, plus `KUBERNETES_EXEC_INFO`: an ExecCredential
 *   whose `spec.interactive` is false and whose `spec.cluster` is set only
 *   when cluster info is given. Its stdin is closed: this client never has a
 *   terminal to lend, so `interactiveMode: Always` is refused up front.
 * - Its stdout must be an ExecCredential of the configured apiVersion with a
 *   `status.token`, or `status.clientCertificateData` and `clientKeyData`,
 *   or both.
 * - The result is cached until `status.expirationTimestamp` (as told by the
 *   injected clock), or, without one, until `invalidate()`.
 * - Concurrent `get()` calls share one run. A caller's signal ends only that
 *   caller's wait: the run goes on for the others, bounded by `timeout`.
 *   After `invalidate()` the next `get()` starts a new run rather than join
 *   one that began before it.
 * - A failure (not found, non-zero exit, timeout, bad output) is an Error
 *   naming the command and quoting its stderr, trimmed and bounded.
 * - The plugin runs in a process group of its own; a run that times out is
 *   ended with its whole group (SIGKILL), grandchildren included. The
 *   provider's own `signal` is its lifetime: once it aborts, the run in
 *   flight is ended the same way and every `get()` rejects with its reason,
 *   so nothing the provider started outlives it. Killing a group needs the
 *   unscoped `--allow-run`.
 *
 * @module
 */

import { cannot, shown } from "../../cannot.ts";
import type { CredentialProvider, Credentials } from "./client_config.ts";
import { type Clock, realClock } from "../../clock.ts";
import { pluginError, type PluginOutput, runPlugin } from "./_kubeconfig_exec_run.ts";
import { clientCertificateProblem } from "./_kubeconfig_tls.ts";

/** The ExecCredential API versions this client speaks (kubectl dropped v1alpha1). */
export const execApiVersions = [
  "client.authentication.k8s.io/v1",
  "client.authentication.k8s.io/v1beta1",
] as const;

/** One of {@linkcode execApiVersions}. */
export type ExecApiVersion = typeof execApiVersions[number];

/** An exec plugin, as a kubeconfig's `user.exec` describes it (paths already resolved). */
export interface ExecPlugin {
  /** The ExecCredential version the plugin speaks; its output must match it. */
  apiVersion: ExecApiVersion;
  /** Executable: a path, or a bare name looked up on `PATH`. */
  command: string;
  /** Arguments (default: none). */
  args?: string[];
  /** Extra environment variables, on top of this process's environment. */
  env?: Record<string, string>;
  /** Must not be `Always`: the plugin never gets a terminal. Default `IfAvailable`. */
  interactiveMode?: "Never" | "IfAvailable" | "Always";
  /** Shown when the command is not found, e.g. how to install it. */
  installHint?: string;
}

/** The cluster described to the plugin in `spec.cluster` (kubeconfig's `provideClusterInfo`). */
export interface ExecClusterInfo {
  /** The API server URL. */
  server: string;
  /** Base64 of the CA bundle's PEM, if the cluster has one. */
  certificateAuthorityData?: string;
  /** The cluster's `client.authentication.k8s.io/exec` extension, passed through as-is. */
  config?: unknown;
}

/** Options of {@linkcode execCredentials}. */
export interface ExecCredentialOptions {
  /** Describes the cluster to the plugin; without it `spec.cluster` is omitted. */
  cluster?: ExecClusterInfo;
  /** Time source for expirations (default: the real clock). */
  clock?: Clock;
  /** Milliseconds a run may take before it is killed (default: 30 000). */
  timeout?: number;
  /**
   * The provider's lifetime: aborting it kills the run in flight (its whole
   * process group), and every `get()` from then on rejects with its reason.
   */
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * A {@linkcode CredentialProvider} that runs `plugin` when it has no valid
 * credentials. Throws a TypeError at once for an unknown `apiVersion`, an
 * empty command or `interactiveMode: Always`, and a RangeError for a timeout
 * that is not a positive number.
 */
export function execCredentials(
  plugin: ExecPlugin,
  options: ExecCredentialOptions = {},
): CredentialProvider {
  const action = `run exec plugin ${shown(plugin.command)}`;
  if (plugin.command === "") {
    throw new TypeError(`Cannot run exec plugin as 'command' must not be empty`);
  }
  if (!(execApiVersions as readonly string[]).includes(plugin.apiVersion)) {
    throw new TypeError(
      cannot(
        action,
        `'apiVersion' must be one of ${execApiVersions.join(", ")}`,
        plugin.apiVersion,
      ),
    );
  }
  if (plugin.interactiveMode === "Always") {
    throw new TypeError(
      cannot(
        action,
        "'interactiveMode' must be Never or IfAvailable, because it never gets a terminal",
        plugin.interactiveMode,
      ),
    );
  }
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  if (!(timeout > 0) || !Number.isFinite(timeout)) {
    throw new RangeError(cannot(action, "'timeout' must be a positive number", timeout));
  }
  return new ExecCredentialProvider(plugin, {
    ...options,
    clock: options.clock ?? realClock,
    timeout,
  });
}

interface Cached {
  credentials: Credentials;
  /** Epoch milliseconds after which the plugin must run again; undefined: never. */
  expiresAt: number | undefined;
}

class ExecCredentialProvider implements CredentialProvider {
  readonly #plugin: ExecPlugin;
  readonly #execInfo: string;
  readonly #clock: Clock;
  readonly #timeout: number;
  readonly #lifetime: AbortSignal | undefined;
  #cached: Cached | undefined;
  // The run in flight, shared by every caller that arrives while it runs.
  #running: Promise<Credentials> | undefined;
  // Bumped by invalidate(), so a run that started before it cannot refill the cache.
  #generation = 0;

  constructor(
    plugin: ExecPlugin,
    options: ExecCredentialOptions & { clock: Clock; timeout: number },
  ) {
    const { cluster } = options;
    this.#plugin = plugin;
    this.#clock = options.clock;
    this.#timeout = options.timeout;
    this.#lifetime = options.signal;
    this.#execInfo = JSON.stringify({
      apiVersion: plugin.apiVersion,
      kind: "ExecCredential",
      spec: { interactive: false, ...(cluster ? { cluster: clusterSpec(cluster) } : {}) },
    });
  }

  get(signal?: AbortSignal): Promise<Credentials> {
    if (this.#lifetime?.aborted) return Promise.reject(this.#lifetime.reason);
    if (signal?.aborted) return Promise.reject(signal.reason);
    const cached = this.#cached;
    if (cached && (cached.expiresAt === undefined || this.#clock.now() < cached.expiresAt)) {
      return Promise.resolve(cached.credentials);
    }
    let running = this.#running;
    if (running === undefined) {
      running = this.#run().finally(() => {
        if (this.#running === running) this.#running = undefined;
      });
      this.#running = running;
    }
    return signal ? abandonOnAbort(running, signal) : running;
  }

  invalidate(): void {
    // A run already in flight may be about to return the very credentials that were just
    // refused (plugins keep caches of their own), so the next get() starts a fresh one.
    this.#cached = undefined;
    this.#running = undefined;
    this.#generation++;
  }

  async #run(): Promise<Credentials> {
    const generation = this.#generation;
    const output = await runPlugin({
      command: this.#plugin.command,
      args: this.#plugin.args ?? [],
      // Set last, as kubectl does: the plugin's own env cannot override what it is told.
      env: { ...this.#plugin.env, KUBERNETES_EXEC_INFO: this.#execInfo },
      installHint: this.#plugin.installHint,
      timeout: this.#timeout,
      signal: this.#lifetime,
    });
    const cached = parseOutput(this.#plugin, output);
    if (generation === this.#generation) this.#cached = cached;
    return cached.credentials;
  }
}

function clusterSpec(cluster: ExecClusterInfo): Record<string, unknown> {
  return {
    server: cluster.server,
    ...(cluster.certificateAuthorityData
      ? { "certificate-authority-data": cluster.certificateAuthorityData }
      : {}),
    ...(cluster.config === undefined ? {} : { config: cluster.config }),
  };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function parseOutput(plugin: ExecPlugin, output: PluginOutput): Cached {
  const fail = (problem: string) => pluginError(plugin.command, problem, output);
  let document: unknown;
  try {
    document = JSON.parse(output.stdout);
  } catch (cause) {
    throw fail(
      `its output is not JSON (${cause instanceof Error ? cause.message : String(cause)})`,
    );
  }
  if (!isObject(document) || document["kind"] !== "ExecCredential") {
    throw fail("its output must be an ExecCredential object");
  }
  if (document["apiVersion"] !== plugin.apiVersion) {
    throw fail(
      `its output has apiVersion ${
        JSON.stringify(document["apiVersion"])
      }, expected "${plugin.apiVersion}"`,
    );
  }
  const status = document["status"];
  if (!isObject(status)) throw fail("its output has no 'status' object");
  const token = optionalText(status, "token", fail);
  const cert = optionalText(status, "clientCertificateData", fail);
  const key = optionalText(status, "clientKeyData", fail);
  if ((cert === undefined) !== (key === undefined)) {
    throw fail(
      "its output must set both 'status.clientCertificateData' and 'status.clientKeyData' or neither",
    );
  }
  if (token === undefined && cert === undefined) {
    throw fail("its output has neither 'status.token' nor a client certificate");
  }
  const credentials: Credentials = {};
  if (token !== undefined) credentials.token = token;
  if (cert !== undefined && key !== undefined) {
    const problem = clientCertificateProblem(cert, key);
    if (problem) throw fail(`its client certificate is unusable: ${problem.reason}`);
    credentials.clientCertificate = { cert, key };
  }
  const expiration = optionalText(status, "expirationTimestamp", fail);
  let expiresAt: number | undefined;
  if (expiration !== undefined) {
    expiresAt = Date.parse(expiration);
    if (!RFC3339.test(expiration) || Number.isNaN(expiresAt)) {
      throw fail(
        `its 'status.expirationTimestamp' must be an RFC 3339 time: current value is ${
          JSON.stringify(expiration)
        }`,
      );
    }
  }
  return { credentials: Object.freeze(credentials), expiresAt };
}

function optionalText(
  status: Record<string, unknown>,
  field: string,
  fail: (problem: string) => Error,
): string | undefined {
  const value = status[field];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw fail(`its 'status.${field}' must be a string`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `promise`, except that it rejects with `signal.reason` as soon as `signal` aborts. */
function abandonOnAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
