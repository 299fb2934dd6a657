/**
 * The HTTP layer of lib/kube: `fetch` over a `Deno.HttpClient` built from a
 * {@linkcode ClientConfig} (CA, client certificate; HTTP/1.1 only, see
 * `#httpClient`), with a user agent, JSON content negotiation,
 * per-request timeouts through `AbortSignal`, and every non-2xx answer
 * turned into a {@linkcode StatusError}.
 *
 * Credentials are asked for on every request (providers cache them). When
 * the server answers 401, the provider is invalidated and the request is
 * sent once more, so a rotated token or certificate is picked up at once.
 *
 * @module
 */

import type { ClientCertificate, ClientConfig } from "./config/client_config.ts";
import { statusErrorFrom } from "./status_error.ts";
import { readBoundedText } from "./_bounded_body.ts";
import { LimitExceededError } from "./limit_error.ts";
import { version } from "../version.ts";
import { cannot } from "../cannot.ts";

/** Options of {@linkcode Transport}. */
export interface TransportOptions {
  /** `User-Agent` header. Defaults to `service-reflector/<version> (Deno <version>)`. */
  userAgent?: string;
  /** Timeout of a request that has no `timeoutMs` of its own. Defaults to 30 000 ms. */
  timeoutMs?: number;
}

/** Query parameters; `undefined` values are left out. */
export type Query = Record<string, string | number | boolean | undefined>;

/** Options of {@linkcode Transport.request}. */
export interface RequestOptions {
  /** HTTP method. Defaults to `GET`. */
  method?: string;
  /** Query parameters. */
  query?: Query;
  /** Request body, sent as JSON. */
  body?: unknown;
  /** `Content-Type` of the body. Defaults to `application/json`. */
  contentType?: string;
  /** `Accept` header. Defaults to `application/json`. */
  accept?: string;
  /** Aborts the request (and the body of its response). */
  signal?: AbortSignal;
  /**
   * Bound on the whole exchange, body included; `null` for none (watch
   * streams, which `signal` ends). Defaults to the transport's timeout.
   */
  timeoutMs?: number | null;
  /**
   * With {@linkcode Transport.json}: most bytes of the body read; reading
   * stops there with a `LimitExceededError` (`limit: "maxBytes"`). Omitted:
   * no bound.
   */
  maxBytes?: number;
}

/** A parsed JSON body and its size on the wire (after any content decoding). */
export interface SizedBody<T> {
  /** The parsed body. */
  body: T;
  /** Its length in bytes. */
  bytes: number;
}

/**
 * A request to a Kubernetes API server failed for want of a whole answer:
 * none came (in time), or its body could not be read (in time). A timeout
 * has a `TimeoutError` as its cause, naming the bound.
 */
export class TransportError extends Error {
  /** Creates the error for `request` (e.g. `GET https://host/api`), keeping `cause`. */
  constructor(request: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`${request} failed: ${detail}`, { cause });
    this.name = "TransportError";
  }
}

/**
 * The cause of a {@linkcode TransportError} for a request that ran out of
 * time: a `TimeoutError`, as `AbortSignal.timeout` gives, saying which part
 * of the exchange did not finish within which bound.
 */
function timedOut(what: string): DOMException {
  return new DOMException(what, "TimeoutError");
}

/** Sends requests to one API server. Close it when done; it owns TLS connections. */
export class Transport {
  /** The configuration this transport was built from. */
  readonly config: ClientConfig;
  readonly #userAgent: string;
  readonly #timeoutMs: number;
  #client: { certificate: ClientCertificate | undefined; http: Deno.HttpClient } | undefined;
  #closed = false;

  /** Creates a transport for `config`. Nothing is sent until the first request. */
  constructor(config: ClientConfig, options: TransportOptions = {}) {
    const { timeoutMs = 30_000 } = options;
    if (!(timeoutMs > 0)) {
      throw new RangeError(
        cannot("create transport", "'timeoutMs' must be a positive number", timeoutMs),
      );
    }
    this.config = config;
    this.#timeoutMs = timeoutMs;
    this.#userAgent = options.userAgent ??
      `service-reflector/${version} (Deno ${Deno.version.deno})`;
  }

  /** The absolute URL of `path` (with `query`) on this server. */
  url(path: string, query: Query = {}): URL {
    const url = new URL(this.config.server);
    url.pathname = url.pathname.replace(/\/$/, "") + path;
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url;
  }

  /**
   * Sends a request and returns the 2xx response, whose body the caller
   * must consume or cancel. Throws a {@linkcode StatusError} for any other
   * status, a {@linkcode TransportError} when no answer came, or the
   * signal's reason when `signal` aborted.
   */
  async request(path: string, options: RequestOptions = {}): Promise<Response> {
    const response = await this.#send(path, options);
    if (response.status !== 401) return await this.#checked(response, path, options);
    await response.body?.cancel();
    this.config.credentials.invalidate();
    return await this.#checked(await this.#send(path, options), path, options);
  }

  /** Sends a request and parses its JSON body, of at most `options.maxBytes` bytes. */
  async json<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return (await this.sizedJson<T>(path, options)).body;
  }

  /**
   * As {@linkcode Transport.json}, with the size of the body in bytes. A
   * body that stops arriving is bound by the same timeout as the answer,
   * and a body read that fails is a {@linkcode TransportError} too.
   */
  async sizedJson<T>(path: string, options: RequestOptions = {}): Promise<SizedBody<T>> {
    const response = await this.request(path, options);
    const request = `${options.method ?? "GET"} ${this.url(path, options.query)}`;
    let read: { text: string; bytes: number };
    try {
      read = await readBoundedText(response, { maxBytes: options.maxBytes ?? Infinity, request });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (error instanceof LimitExceededError) throw error;
      // The request's own timeout aborted the body it was reading.
      if (error instanceof DOMException && error.name === "TimeoutError") {
        throw new TransportError(
          request,
          timedOut(`body not read within ${this.#timeoutOf(options)} ms`),
        );
      }
      throw new TransportError(`${request}: reading the body`, error);
    }
    const { text, bytes } = read;
    try {
      return { body: JSON.parse(text) as T, bytes };
    } catch (cause) {
      throw new TransportError(`${request}: invalid JSON in response`, cause);
    }
  }

  /** Closes the TLS connections. Later requests throw. */
  close(): void {
    this.#closed = true;
    this.#client?.http.close();
    this.#client = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async #send(path: string, options: RequestOptions): Promise<Response> {
    const method = options.method ?? "GET";
    const url = this.url(path, options.query);
    const request = `${method} ${url}`;
    if (this.#closed) throw new TransportError(request, new Error("the transport is closed"));
    const credentials = await this.config.credentials.get(options.signal);
    const headers = new Headers({
      "accept": options.accept ?? "application/json",
      "user-agent": this.#userAgent,
    });
    if (credentials.token) headers.set("authorization", `Bearer ${credentials.token}`);
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers.set("content-type", options.contentType ?? "application/json");
    }
    const timeoutMs = this.#timeoutOf(options);
    const signals = options.signal ? [options.signal] : [];
    const timeout = timeoutMs === null ? undefined : AbortSignal.timeout(timeoutMs);
    if (timeout) signals.push(timeout);
    const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
    const client = this.#httpClient(credentials.clientCertificate);
    try {
      return await fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(signal ? { signal } : {}),
        client,
      });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (timeout?.aborted) {
        throw new TransportError(request, timedOut(`no answer within ${timeoutMs} ms`));
      }
      throw new TransportError(request, error);
    }
  }

  /** The bound on the whole exchange of a request with `options`; null for none. */
  #timeoutOf(options: RequestOptions): number | null {
    return options.timeoutMs === undefined ? this.#timeoutMs : options.timeoutMs;
  }

  async #checked(response: Response, path: string, options: RequestOptions): Promise<Response> {
    if (response.ok) return response;
    return Promise.reject(
      await statusErrorFrom(
        response,
        `${options.method ?? "GET"} ${this.url(path, options.query)}`,
      ),
    );
  }

  /** The HTTP client for `certificate`, rebuilt when the certificate changes. */
  #httpClient(certificate: ClientCertificate | undefined): Deno.HttpClient {
    const current = this.#client;
    if (
      current && current.certificate?.cert === certificate?.cert &&
      current.certificate?.key === certificate?.key
    ) {
      return current.http;
    }
    let http: Deno.HttpClient;
    try {
      http = Deno.createHttpClient({
        // HTTP/1.1 only: over HTTP/2, Deno's fetch adds ~40 ms to every
        // request whose body is about 1 KiB or more (a slice with a few
        // endpoints). Each watch then holds a connection of its own.
        http2: false,
        ...(this.config.caCerts.length > 0 ? { caCerts: this.config.caCerts } : {}),
        ...(certificate ? { cert: certificate.cert, key: certificate.key } : {}),
      });
    } catch (cause) {
      throw new TypeError(
        `Cannot use the TLS settings of ${this.config.origin}: ${
          cause instanceof Error ? cause.message : cause
        }`,
        { cause },
      );
    }
    // Closing may end a stream still open on the old client; stream owners
    // (watches) recover by starting again.
    current?.http.close();
    this.#client = { certificate, http };
    return http;
  }
}
