/**
 * Generated fixtures for the kubeconfig, in-cluster, token-file and exec
 * credential tests: temporary directories that are always removed, real
 * PEM material from the test control plane's `pki` command, kubeconfig and
 * plugin files. Nothing here is static, so no key material lives in the repo.
 *
 * @module
 */

import { equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { stringify } from "yaml";
import { loadKubeconfig } from "../../lib/kube/config/kubeconfig.ts";
import { KubeconfigError, type KubeconfigReason } from "../../lib/kube/config/kubeconfig_error.ts";
import { clusterBinary } from "../cluster/binary.ts";

/** Runs `fn` with a fresh temporary directory and removes it afterwards, whatever happens. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "kubeconfig-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Paths and contents of a freshly generated PKI. */
export interface Pki {
  /** Directory holding every file. */
  dir: string;
  /** `ca.crt`: the CA that signs every certificate below. */
  caPath: string;
  /** `admin.crt`: a client certificate. */
  certPath: string;
  /** `admin.key`: its PKCS#8 EC private key. */
  keyPath: string;
  /** `apiserver.key`: a key that does not match `admin.crt`. */
  otherKeyPath: string;
  /** The PEM text of `ca.crt`. */
  ca: string;
  /** The PEM text of `admin.crt`. */
  cert: string;
  /** The PEM text of `admin.key`. */
  key: string;
}

/** Writes a PKI into `dir` with the control-plane binary's `pki` command. */
export async function generatePki(dir: string): Promise<Pki> {
  const binary = await clusterBinary();
  const { code, stderr } = await new Deno.Command(binary, {
    args: ["pki", "--dir", dir],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`Cannot generate test PKI in "${dir}": ${new TextDecoder().decode(stderr)}`);
  }
  const caPath = join(dir, "ca.crt");
  const certPath = join(dir, "admin.crt");
  const keyPath = join(dir, "admin.key");
  return {
    dir,
    caPath,
    certPath,
    keyPath,
    otherKeyPath: join(dir, "apiserver.key"),
    ca: await Deno.readTextFile(caPath),
    cert: await Deno.readTextFile(certPath),
    key: await Deno.readTextFile(keyPath),
  };
}

/** Standard base64 of UTF-8 text, as kubeconfig `-data` fields hold it. */
export function base64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Writes `document` as YAML to `path` and returns `path`. */
export async function writeYaml(path: string, document: unknown): Promise<string> {
  await Deno.writeTextFile(path, stringify(document));
  return path;
}

/** A one-context kubeconfig document; `overrides` replace its parts. */
export function kubeconfig(parts: {
  cluster?: Record<string, unknown>;
  user?: Record<string, unknown>;
  context?: Record<string, unknown>;
  name?: string;
}): Record<string, unknown> {
  const name = parts.name ?? "test";
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: parts.cluster ?? { server: "https://127.0.0.1:6443" } }],
    users: [{ name, user: parts.user ?? {} }],
    contexts: [{ name, context: { cluster: name, user: name, ...parts.context } }],
    "current-context": name,
  };
}

/**
 * A kubeconfig document of two contexts, `first` (current, at 10.0.0.1)
 * and `second` (at 10.0.0.2), sharing one user.
 */
export function twoContextKubeconfig(): Record<string, unknown> {
  return {
    ...kubeconfig({ name: "first", cluster: { server: "https://10.0.0.1:6443" } }),
    clusters: [
      { name: "first", cluster: { server: "https://10.0.0.1:6443" } },
      { name: "second", cluster: { server: "https://10.0.0.2:6443" } },
    ],
    users: [{ name: "u", user: {} }],
    contexts: [
      { name: "first", context: { cluster: "first", user: "u" } },
      { name: "second", context: { cluster: "second", user: "u" } },
    ],
  };
}

/** A `clusters` entry of a kubeconfig: cluster `name` served at `server`. */
export function namedCluster(server: string, name: string): {
  name: string;
  cluster: { server: string };
} {
  return { name, cluster: { server } };
}

/** A `contexts` entry of a kubeconfig: context `name` on cluster `clusterName` (default: `name`). */
export function namedContext(name: string, clusterName: string = name): {
  name: string;
  context: { cluster: string };
} {
  return { name, context: { cluster: clusterName } };
}

/** The `client.authentication.k8s.io/v1` API of exec credential plugins. */
export const execV1 = "client.authentication.k8s.io/v1";

/** The `client.authentication.k8s.io/v1beta1` API of exec credential plugins. */
export const execV1beta1 = "client.authentication.k8s.io/v1beta1";

/**
 * The `KUBERNETES_EXEC_INFO` document a plugin is given when not
 * interactive: `cluster` (kubeconfig spelling, `config` from the
 * `client.authentication.k8s.io/exec` extension) only with
 * `provideClusterInfo`.
 */
export function expectedExecInfo(
  cluster?: Record<string, unknown>,
  apiVersion: string = execV1,
): Record<string, unknown> {
  return {
    apiVersion,
    kind: "ExecCredential",
    spec: { interactive: false, ...(cluster ? { cluster } : {}) },
  };
}

/** The exec info a test plugin saved as `exec-info.json` in `dir`. */
export async function readExecInfo(dir: string): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(join(dir, "exec-info.json")));
}

/** Writes an executable bash script to `path` and returns `path`. */
export async function writeScript(path: string, body: string): Promise<string> {
  await Deno.writeTextFile(path, `#!/usr/bin/env bash\nset -euo pipefail\n${body}\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

/** An environment lookup over a fixed record, for the `env` options. */
export function envOf(
  variables: Record<string, string | undefined>,
): (name: string) => string | undefined {
  return (name) => variables[name];
}

/** What {@linkcode rejectsLoading} expects of the {@linkcode KubeconfigError}. */
export interface ExpectedLoadError {
  /** The error's `reason`. */
  reason: KubeconfigReason;
  /** The message after `Cannot load kubeconfig "<path>": `, given the temporary directory. */
  message: (dir: string) => string;
  /** Whether the cause is a `Deno.errors.NotFound` (default: false). */
  notFound?: boolean;
  /** Whether the error's `file` is the loaded file (default: true) or `undefined`. */
  inFile?: boolean;
}

/**
 * Writes `document` (YAML text, or a value to render) as `<tmp>/config`, loads
 * it as an explicit path, and asserts the exact error: its class, reason,
 * message, file and whether NotFound is its cause. `setup` runs first in
 * the same directory; `env` defaults to an empty environment.
 */
export async function rejectsLoading(
  document: unknown,
  expected: ExpectedLoadError,
  options: {
    context?: string;
    env?: (dir: string) => (name: string) => string | undefined;
    setup?: (dir: string) => Promise<void>;
  } = {},
): Promise<void> {
  await withTempDir(async (dir) => {
    await options.setup?.(dir);
    const path = join(dir, "config");
    if (typeof document === "string") await Deno.writeTextFile(path, document);
    else await writeYaml(path, document);
    const load = loadKubeconfig({
      path,
      env: options.env?.(dir) ?? envOf({}),
      ...(options.context ? { context: options.context } : {}),
    });
    await rejects(load, (error) => {
      ok(error instanceof KubeconfigError, String(error));
      equal(error.name, "KubeconfigError");
      equal(error.reason, expected.reason);
      equal(error.message, `Cannot load kubeconfig "${path}": ${expected.message(dir)}`);
      equal(error.file, expected.inFile ?? true ? path : undefined);
      equal(error.cause instanceof Deno.errors.NotFound, expected.notFound ?? false);
      return true;
    });
  });
}
