/**
 * The {@linkcode ClientConfig} of a process running in a Pod, as client-go's
 * `rest.InClusterConfig` builds it: the API server from the
 * `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT` variables the
 * kubelet sets, and the Pod's ServiceAccount files (`ca.crt`, `token`,
 * `namespace`), which the kubelet projects into one directory.
 *
 * The token is re-read as the kubelet rotates it (see `token_file.ts`); the
 * CA and namespace are read once. Every input is checked before this
 * returns, so a Pod missing its ServiceAccount mount fails at start-up with
 * an {@linkcode InClusterConfigError} naming what is missing.
 *
 * That error is not `KubeconfigError`: the inputs are a Pod's variables and
 * ServiceAccount files, not a kubeconfig, and its reasons are exactly what
 * this loader finds wrong with them. Like `KubeconfigError`, it is one class
 * for every reason and not a TypeError, as a missing file is no wrong type.
 *
 * @module
 */

import { cannot } from "../../cannot.ts";
import { join } from "node:path";
import type { ClientConfig } from "./client_config.ts";
import { type Clock, realClock } from "../../clock.ts";
import { tokenFileCredentials } from "./token_file.ts";
import { caCertsProblem } from "./_kubeconfig_tls.ts";

/** Where the kubelet mounts a Pod's ServiceAccount credentials. */
export const defaultServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Options of {@linkcode inClusterConfig}. */
export interface InClusterOptions {
  /** Reads the `KUBERNETES_SERVICE_*` variables (default: `Deno.env.get`). */
  env?: (name: string) => string | undefined;
  /** Directory holding `ca.crt`, `token` and `namespace` (default: {@linkcode defaultServiceAccountDir}). */
  serviceAccountDir?: string;
  /** Time source for re-reading the token (default: the real clock). */
  clock?: Clock;
}

/** The result of {@linkcode inClusterConfig}. */
export interface InClusterConfig {
  /** How to reach the API server as the Pod's ServiceAccount. */
  config: ClientConfig;
  /** The Pod's namespace. */
  namespace: string;
}

/**
 * Why the in-cluster config cannot be loaded:
 *
 * - `missing-variable`: `KUBERNETES_SERVICE_HOST` or `KUBERNETES_SERVICE_PORT`
 *   is not set, as outside a Pod;
 * - `invalid-variable`: one of them is set to what cannot be a host or a port;
 * - `not-found`: a ServiceAccount file does not exist (`Deno.errors.NotFound`
 *   as the cause);
 * - `unreadable`: a ServiceAccount file cannot be read (the read error as the cause);
 * - `empty-file`: a ServiceAccount file is empty or blank;
 * - `invalid-certificate`: `ca.crt` holds no PEM CA certificates TLS accepts.
 */
export type InClusterConfigReason =
  | "missing-variable"
  | "invalid-variable"
  | "not-found"
  | "unreadable"
  | "empty-file"
  | "invalid-certificate";

/**
 * An in-cluster config that cannot be loaded. `reason` says why, so a
 * caller acts on it without reading `message`, which names the variable or
 * file and the value.
 */
export class InClusterConfigError extends Error {
  /** Why the in-cluster config cannot be loaded. */
  readonly reason: InClusterConfigReason;
  /** The ServiceAccount file at fault; `undefined` when a variable is. */
  readonly file: string | undefined;

  /** Creates the error with `message` as written, keeping `options.cause`. */
  constructor(
    reason: InClusterConfigReason,
    message: string,
    options: { file?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "InClusterConfigError";
    this.reason = reason;
    this.file = options.file;
  }
}

const ACTION = "load in-cluster config";
const PREFIX = `Cannot ${ACTION}`;

/**
 * Builds the in-cluster config. Rejects with an
 * {@linkcode InClusterConfigError} naming the variable or file at fault.
 */
export async function inClusterConfig(options: InClusterOptions = {}): Promise<InClusterConfig> {
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const dir = options.serviceAccountDir ?? defaultServiceAccountDir;
  const server = serverUrl(env);

  const caPath = join(dir, "ca.crt");
  const caPem = await readRequired(caPath);
  const problem = caCertsProblem(caPem);
  if (problem !== undefined) {
    throw new InClusterConfigError(
      "invalid-certificate",
      `${PREFIX} as file "${caPath}" must hold PEM CA certificates (${problem})`,
      { file: caPath },
    );
  }
  const namespace = (await readRequired(join(dir, "namespace"))).trim();
  // Read once here only to fail early; the provider reads it again as it rotates.
  const tokenPath = join(dir, "token");
  await readRequired(tokenPath);

  return {
    config: {
      server,
      caCerts: [caPem],
      credentials: tokenFileCredentials(tokenPath, { clock: options.clock ?? realClock }),
      origin: `in-cluster (ServiceAccount files in ${dir})`,
    },
    namespace,
  };
}

function serverUrl(env: (name: string) => string | undefined): URL {
  const host = requireVariable(env, "KUBERNETES_SERVICE_HOST");
  const port = requireVariable(env, "KUBERNETES_SERVICE_PORT");
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new InClusterConfigError(
      "invalid-variable",
      cannot(ACTION, "KUBERNETES_SERVICE_PORT must be a port number", port),
    );
  }
  // An IPv6 literal needs brackets in a URL; the kubelet sets it bare.
  const authority = host.includes(":") && !host.startsWith("[")
    ? `[${host}]:${port}`
    : `${host}:${port}`;
  try {
    return new URL(`https://${authority}`);
  } catch (cause) {
    throw new InClusterConfigError(
      "invalid-variable",
      cannot(ACTION, "KUBERNETES_SERVICE_HOST must be a host name or IP address", host),
      { cause },
    );
  }
}

function requireVariable(env: (name: string) => string | undefined, name: string): string {
  const value = env(name);
  if (!value) {
    throw new InClusterConfigError(
      "missing-variable",
      `${PREFIX} as environment variable ${name} is not set: is this process running in a Pod?`,
    );
  }
  return value;
}

/** The file's text; a missing, unreadable or empty file is an error naming it. */
async function readRequired(path: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    const notFound = cause instanceof Deno.errors.NotFound;
    const problem = notFound
      ? "does not exist"
      : `is not readable (${cause instanceof Error ? cause.message : String(cause)})`;
    const reason = notFound ? "not-found" : "unreadable";
    throw new InClusterConfigError(reason, `${PREFIX} as file "${path}" ${problem}`, {
      file: path,
      cause,
    });
  }
  if (text.trim() === "") {
    throw new InClusterConfigError("empty-file", `${PREFIX} as file "${path}" is empty`, {
      file: path,
    });
  }
  return text;
}
