/**
 * Loads a {@linkcode ClientConfig} from kubeconfig files, with kubectl's
 * semantics for finding, merging and selecting (see `_kubeconfig_files.ts`):
 * an explicit path, else `KUBECONFIG`, else `$HOME/.kube/config`; the
 * explicit context, else `current-context`. Relative paths in an entry
 * resolve against the directory of the file that defined the entry.
 *
 * Supported: cluster `server`, `certificate-authority(-data)`; user
 * `client-certificate(-data)` with `client-key(-data)`, `token`,
 * `tokenFile` (re-read when it changes), `exec` (see `exec_credential.ts`);
 * context `namespace`. Everything is checked before this returns: files
 * exist, base64 decodes, PEM material is accepted by Deno's TLS, an exec
 * command exists and this process has the permission to run it. So bad input stops start-up with a
 * {@linkcode KubeconfigError} whose `reason` classifies it and whose message
 * names the file, the entry, the field and the value.
 *
 * Refused rather than ignored, because ignoring them would silently connect
 * differently from kubectl: `insecure-skip-tls-verify: true`,
 * `tls-server-name`, `proxy-url`, `username`/`password`, `auth-provider`
 * and impersonation (`as`, `as-uid`, `as-groups`, `as-user-extra`). Fields
 * this module does not know are ignored, as kubectl ignores them.
 *
 * @module
 */

import {
  type ClientCertificate,
  type ClientConfig,
  type CredentialProvider,
  type Credentials,
  parseServerUrl,
  ServerUrlError,
  staticCredentials,
} from "./client_config.ts";
import { type Clock, realClock } from "../../clock.ts";
import {
  type ExecClusterInfo,
  type ExecCredentialOptions,
  execCredentials,
} from "./exec_credential.ts";
import { tokenFileCredentials } from "./token_file.ts";
import { readExecSection } from "./_kubeconfig_exec.ts";
import {
  entryError,
  entryPath,
  fieldError,
  isSet,
  optionalBoolean,
  optionalString,
  type PemSource,
  readEntryFile,
  readPem,
} from "./_kubeconfig_fields.ts";
import {
  type Entry,
  errorPrefix,
  isMapping,
  type MergedKubeconfig,
  readKubeconfigs,
} from "./_kubeconfig_files.ts";
import { caCertsProblem, clientCertificateProblem, encodeBase64 } from "./_kubeconfig_tls.ts";
import { KubeconfigError } from "./kubeconfig_error.ts";

/** Options of {@linkcode loadKubeconfig}. */
export interface LoadKubeconfigOptions {
  /** The kubeconfig file to load; it must exist. Overrides `KUBECONFIG` and `$HOME`. */
  path?: string;
  /** The context to use (default: the kubeconfig's `current-context`). */
  context?: string;
  /** Reads `KUBECONFIG`, `HOME` and `PATH` (default: `Deno.env.get`). */
  env?: (name: string) => string | undefined;
  /** Time source for refreshing credentials (default: the real clock). */
  clock?: Clock;
  /**
   * The loaded config's lifetime: aborting it ends an exec plugin's run in
   * flight, with its process group, and refuses further runs (see
   * `exec_credential.ts`). Without it, runs are bounded by their time-out only.
   */
  signal?: AbortSignal;
}

/** The result of {@linkcode loadKubeconfig}. */
export interface LoadedKubeconfig {
  /** How to reach and authenticate to the selected cluster. */
  config: ClientConfig;
  /** The name of the selected context. */
  contextName: string;
  /** The context's `namespace`, or `undefined` when it sets none. */
  namespace: string | undefined;
}

/**
 * Loads and checks the kubeconfig that kubectl would use with the same
 * `--kubeconfig`, `--context` and environment. Rejects with a
 * {@linkcode KubeconfigError} whose `reason` says what is wrong (a missing
 * file is `not-found`, with a `Deno.errors.NotFound` cause).
 */
export async function loadKubeconfig(
  options: LoadKubeconfigOptions = {},
): Promise<LoadedKubeconfig> {
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const merged = await readKubeconfigs(options.path, env);
  const context = selectContext(merged, options.context);

  const clusterName = optionalString(context, "cluster");
  const cluster = clusterName === undefined ? undefined : merged.clusters.get(clusterName);
  if (cluster === undefined) {
    throw fieldError(context, "cluster", "must name a cluster of the kubeconfig", clusterName, {
      detail: `clusters: ${names(merged.clusters)}`,
    });
  }
  const userName = optionalString(context, "user");
  const user = userName === undefined ? undefined : merged.users.get(userName);
  if (userName !== undefined && user === undefined) {
    throw fieldError(context, "user", "must name a user of the kubeconfig", userName, {
      detail: `users: ${names(merged.users)}`,
    });
  }

  const { server, caPem } = await readCluster(cluster);
  const clock = options.clock ?? realClock;
  // No user means anonymous requests, as with kubectl.
  const credentials = user === undefined ? staticCredentials() : await readUser(user, {
    cluster,
    server,
    caPem,
    env,
    clock,
    contextName: context.name,
    signal: options.signal,
  });
  return {
    config: {
      server,
      caCerts: caPem === undefined ? [] : [caPem],
      credentials,
      origin: `kubeconfig ${context.file} (context "${context.name}")`,
    },
    contextName: context.name,
    namespace: optionalString(context, "namespace"),
  };
}

function selectContext(merged: MergedKubeconfig, explicit: string | undefined): Entry {
  const source = errorPrefix(merged.files.join(":"));
  const available = `(contexts: ${names(merged.contexts)})`;
  const name = explicit || merged.currentContext?.name;
  if (name === undefined) {
    throw new KubeconfigError(
      "context-not-found",
      `${source}no context was given and 'current-context' is not set ${available}`,
    );
  }
  const context = merged.contexts.get(name);
  if (context === undefined) {
    // A current-context naming no context is that file's fault; an explicit name, no file's.
    const file = explicit ? undefined : merged.currentContext?.file;
    const message = `${source}context "${name}" not found ${available}`;
    throw new KubeconfigError("context-not-found", message, { file });
  }
  return context;
}

function names(entries: Map<string, Entry>): string {
  return entries.size === 0 ? "none" : [...entries.keys()].join(", ");
}

/** Fields that must stay unset, and why: each would change how kubectl connects. */
const REFUSED_CLUSTER_FIELDS: Record<string, string> = {
  "tls-server-name": "Deno's HTTP client cannot verify the server under another name",
  "proxy-url": "this client connects directly, never through a proxy",
};
const REFUSED_USER_FIELDS: Record<string, string> = {
  username: "basic authentication is not supported; use a token or a client certificate",
  password: "basic authentication is not supported; use a token or a client certificate",
  "auth-provider": "auth-provider plugins are not supported; use an exec plugin",
  as: "impersonation is not supported",
  "as-uid": "impersonation is not supported",
  "as-groups": "impersonation is not supported",
  "as-user-extra": "impersonation is not supported",
};

function refuseFields(entry: Entry, refused: Record<string, string>): void {
  for (const [field, why] of Object.entries(refused)) {
    if (isSet(entry, field)) {
      throw fieldError(entry, field, `must be unset, as ${why}`, entry.fields[field], {
        reason: "unsupported",
      });
    }
  }
}

async function readCluster(cluster: Entry): Promise<{ server: URL; caPem: string | undefined }> {
  refuseFields(cluster, REFUSED_CLUSTER_FIELDS);
  if (optionalBoolean(cluster, "insecure-skip-tls-verify")) {
    throw fieldError(
      cluster,
      "insecure-skip-tls-verify",
      "must be false or unset, as Deno cannot skip TLS verification for one client; set 'certificate-authority' to the server's CA instead",
      true,
      { reason: "unsupported" },
    );
  }
  const server = readServer(cluster);
  const ca = await readPem(cluster, {
    file: "certificate-authority",
    data: "certificate-authority-data",
    dataWins: true,
  });
  if (ca === undefined) return { server, caPem: undefined };
  const problem = caCertsProblem(ca.pem);
  if (problem !== undefined) {
    throw fieldError(cluster, ca.field, `must ${verb(ca)} PEM CA certificates`, ca.value, {
      detail: problem,
      reason: "invalid-certificate",
    });
  }
  return { server, caPem: ca.pem };
}

/** The cluster's `server`, which must be set and a URL {@linkcode parseServerUrl} accepts. */
function readServer(cluster: Entry): URL {
  const text = optionalString(cluster, "server");
  try {
    if (text !== undefined) return parseServerUrl(text);
  } catch (error) {
    if (!(error instanceof ServerUrlError)) throw error;
    throw serverError(cluster, text, error);
  }
  throw serverError(cluster, text);
}

function serverError(
  cluster: Entry,
  text: string | undefined,
  cause?: ServerUrlError,
): KubeconfigError {
  return fieldError(
    cluster,
    "server",
    "must be an absolute http or https URL without query, fragment or user info",
    text,
    { cause },
  );
}

/** "name" for a file field, "hold" for a data field, to phrase the expectation. */
function verb(source: PemSource): string {
  return source.field.endsWith("-data") ? "hold" : "name";
}

interface UserContext {
  cluster: Entry;
  server: URL;
  caPem: string | undefined;
  env: (name: string) => string | undefined;
  clock: Clock;
  contextName: string;
  signal: AbortSignal | undefined;
}

async function readUser(user: Entry, context: UserContext): Promise<CredentialProvider> {
  refuseFields(user, REFUSED_USER_FIELDS);
  const clientCertificate = await readClientCertificate(user);
  const token = optionalString(user, "token");
  const tokenFile = optionalString(user, "tokenFile");

  if (isSet(user, "exec")) {
    // One source of truth per request: mixing an exec plugin with static credentials
    // leaves it unclear which one a 401 refers to.
    const other = token !== undefined
      ? "token"
      : tokenFile !== undefined
      ? "tokenFile"
      : clientCertificate
      ? "client-certificate"
      : undefined;
    if (other !== undefined) {
      throw entryError(
        user,
        "conflicting-fields",
        `sets both 'exec' and '${other}': keep one way to authenticate`,
      );
    }
    const { plugin, provideClusterInfo } = await readExecSection(user, context);
    const execOptions: ExecCredentialOptions = { clock: context.clock };
    if (context.signal) execOptions.signal = context.signal;
    if (provideClusterInfo) execOptions.cluster = clusterInfo(context);
    return execCredentials(plugin, execOptions);
  }

  if (tokenFile !== undefined) {
    // kubectl reads the file at load time too, then re-reads it as it rotates; with
    // both 'token' and 'tokenFile' set the file wins once re-read, so it wins here.
    const path = entryPath(user, tokenFile);
    if ((await readEntryFile(user, "tokenFile", path)).trim() === "") {
      throw fieldError(user, "tokenFile", "must name a file holding a token", path, {
        detail: "the file is empty",
      });
    }
    const provider = tokenFileCredentials(path, { clock: context.clock });
    return clientCertificate ? withClientCertificate(provider, clientCertificate) : provider;
  }

  const credentials: Credentials = {};
  if (token !== undefined) credentials.token = token;
  if (clientCertificate) credentials.clientCertificate = clientCertificate;
  return staticCredentials(credentials);
}

async function readClientCertificate(user: Entry): Promise<ClientCertificate | undefined> {
  const cert = await readPem(user, {
    file: "client-certificate",
    data: "client-certificate-data",
    dataWins: false,
  });
  const key = await readPem(user, {
    file: "client-key",
    data: "client-key-data",
    dataWins: false,
  });
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    const [present, absent] = cert
      ? [cert.field, "client-key"]
      : [key?.field, "client-certificate"];
    throw entryError(
      user,
      "conflicting-fields",
      `sets '${present}' without '${absent}' or '${absent}-data': set both or neither`,
    );
  }
  const problem = clientCertificateProblem(cert.pem, key.pem);
  if (problem === undefined) return { cert: cert.pem, key: key.pem };
  if (problem.part === "pair") {
    throw entryError(
      user,
      "invalid-certificate",
      `fields '${cert.field}' and '${key.field}' must be a certificate and its private key (${problem.reason})`,
    );
  }
  const [source, what] = problem.part === "cert"
    ? [cert, "a PEM certificate"]
    : [key, "a PEM private key"];
  throw fieldError(user, source.field, `must ${verb(source)} ${what}`, source.value, {
    detail: problem.reason,
    reason: "invalid-certificate",
  });
}

function clusterInfo(context: UserContext): ExecClusterInfo {
  const info: ExecClusterInfo = {
    server: optionalString(context.cluster, "server") ?? context.server.href,
  };
  if (context.caPem !== undefined) info.certificateAuthorityData = encodeBase64(context.caPem);
  // kubectl passes the cluster extension named for exec plugins through as spec.cluster.config.
  const extensions = context.cluster.fields["extensions"];
  if (Array.isArray(extensions)) {
    const extension = extensions.find((item) =>
      isMapping(item) && item["name"] === "client.authentication.k8s.io/exec"
    );
    if (isMapping(extension) && extension["extension"] !== undefined) {
      info.config = extension["extension"];
    }
  }
  return info;
}

function withClientCertificate(
  provider: CredentialProvider,
  clientCertificate: ClientCertificate,
): CredentialProvider {
  return {
    get: async (signal) => ({ ...await provider.get(signal), clientCertificate }),
    invalidate: () => provider.invalidate(),
  };
}
