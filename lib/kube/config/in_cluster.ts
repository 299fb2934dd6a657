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
 * a message naming what is missing.
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

const ACTION = "load in-cluster config";
const PREFIX = `Cannot ${ACTION}`;

/**
 * Builds the in-cluster config. Rejects with an Error naming the variable
 * or file that is missing (a file's `Deno.errors.NotFound` as its cause),
 * and a TypeError naming the value that is malformed.
 */
export async function inClusterConfig(options: InClusterOptions = {}): Promise<InClusterConfig> {
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const dir = options.serviceAccountDir ?? defaultServiceAccountDir;
  const server = serverUrl(env);

  const caPath = join(dir, "ca.crt");
  const caPem = await readRequired(caPath);
  const problem = caCertsProblem(caPem);
  if (problem !== undefined) {
    throw new TypeError(`${PREFIX} as file "${caPath}" must hold PEM CA certificates (${problem})`);
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
    throw new TypeError(cannot(ACTION, "KUBERNETES_SERVICE_PORT must be a port number", port));
  }
  // An IPv6 literal needs brackets in a URL; the kubelet sets it bare.
  const authority = host.includes(":") && !host.startsWith("[")
    ? `[${host}]:${port}`
    : `${host}:${port}`;
  try {
    return new URL(`https://${authority}`);
  } catch (cause) {
    throw new TypeError(
      cannot(ACTION, "KUBERNETES_SERVICE_HOST must be a host name or IP address", host),
      { cause },
    );
  }
}

function requireVariable(env: (name: string) => string | undefined, name: string): string {
  const value = env(name);
  if (!value) {
    throw new Error(
      `${PREFIX} as environment variable ${name} is not set: is this process running in a Pod?`,
    );
  }
  return value;
}

/** The file's text; a missing, unreadable or empty file is an Error naming it. */
async function readRequired(path: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    const reason = cause instanceof Deno.errors.NotFound
      ? "does not exist"
      : `is not readable (${cause instanceof Error ? cause.message : String(cause)})`;
    throw new Error(`${PREFIX} as file "${path}" ${reason}`, { cause });
  }
  if (text.trim() === "") throw new Error(`${PREFIX} as file "${path}" is empty`);
  return text;
}
