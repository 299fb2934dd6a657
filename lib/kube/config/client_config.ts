/**
 * What a client needs to talk to one API server, however it was configured
 * (a kubeconfig, in-cluster ServiceAccount files, or a plain Emitter URL).
 * Loaders produce a {@linkcode ClientConfig}; the transport consumes it.
 *
 * @module
 */

import { cannot } from "../../cannot.ts";

/** A client certificate and its private key, both PEM. */
export interface ClientCertificate {
  /** Certificate chain in PEM. */
  cert: string;
  /** Private key in PEM. */
  key: string;
}

/** Credentials presented on each request. Both may be absent (anonymous). */
export interface Credentials {
  /** Bearer token for the `Authorization` header. */
  token?: string;
  /** TLS client certificate. */
  clientCertificate?: ClientCertificate;
}

/**
 * Supplies credentials on demand. Providers cache what is expensive (a
 * file read, an exec plugin run) and refresh it when it may have changed:
 * a token file is re-read when it changes, an exec credential when it
 * expires. After the server answers 401 the transport calls
 * {@linkcode CredentialProvider.invalidate} once and retries, so rotated
 * credentials are picked up without a restart.
 */
export interface CredentialProvider {
  /** The credentials to use now. */
  get(signal?: AbortSignal): Promise<Credentials>;
  /** Drops any cached credentials, so the next `get` fetches fresh ones. */
  invalidate(): void;
}

/** Everything needed to reach and authenticate to one API server. */
export interface ClientConfig {
  /** Base URL of the API server or Emitter, e.g. `https://10.0.0.1:6443`. */
  server: URL;
  /** PEM CA certificates to trust for `server`; empty means the system roots. */
  caCerts: string[];
  /** The credentials to present. */
  credentials: CredentialProvider;
  /**
   * Where this config came from, for messages and logs, e.g.
   * `kubeconfig /home/me/.kube/config (context "east")` or `in-cluster`.
   */
  origin: string;
}

/** A provider of fixed credentials, e.g. from kubeconfig data or no credentials at all. */
export function staticCredentials(credentials: Credentials = {}): CredentialProvider {
  const frozen = Object.freeze({ ...credentials });
  return {
    get: () => Promise.resolve(frozen),
    invalidate: () => {},
  };
}

/** Why a text cannot be the URL of a server, worded to follow "as" in a message. */
export type ServerUrlReason =
  | "it is not an absolute URL"
  | "its scheme must be http or https"
  | "it must not carry a query, fragment or user info";

/**
 * A text that cannot be a server's URL. `reason` says why, so a caller words
 * its own message from it (a flag parser names the flag) without reading
 * `message`, which is `Cannot use source URL as <reason>: current value is
 * <value>`.
 */
export class ServerUrlError extends TypeError {
  /** What is wrong with {@linkcode ServerUrlError.value}. */
  readonly reason: ServerUrlReason;
  /** The text, as given. */
  readonly value: string;

  /** Creates the error for `value`, keeping `options.cause`. */
  constructor(value: string, reason: ServerUrlReason, options?: ErrorOptions) {
    super(cannot("use source URL", reason, value), options);
    this.name = "ServerUrlError";
    this.reason = reason;
    this.value = value;
  }
}

/**
 * `text` as a server URL: absolute, `http` or `https`, with no query,
 * fragment or user info (none of which a client would send). Throws a
 * {@linkcode ServerUrlError} otherwise.
 */
export function parseServerUrl(text: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch (cause) {
    throw new ServerUrlError(text, "it is not an absolute URL", { cause });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ServerUrlError(text, "its scheme must be http or https");
  }
  if (parsed.search || parsed.hash || parsed.username || parsed.password) {
    throw new ServerUrlError(text, "it must not carry a query, fragment or user info");
  }
  return parsed;
}

/**
 * A config for an Emitter (or any server) reached by URL alone: no
 * credentials; `https` URLs are checked against `caCerts` or the system roots.
 * Throws a {@linkcode ServerUrlError} if `url` is not one
 * {@linkcode parseServerUrl} accepts.
 */
export function configFromUrl(url: string, options: { caCerts?: string[] } = {}): ClientConfig {
  const server = parseServerUrl(url);
  return {
    server,
    caCerts: options.caCerts ?? [],
    credentials: staticCredentials(),
    origin: `URL ${server.href}`,
  };
}
