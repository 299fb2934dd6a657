/**
 * Puts a fetch-style handler on one listener: plain HTTP, HTTPS, or HTTPS
 * that requires a client certificate (mutual TLS), all through one path
 * (`_serve_node.ts`): a bounded accept loop in front of `node:http` or
 * `node:https`. `Deno.serve` has neither a connection cap nor a bound on
 * request heads, cannot ask for client certificates, and stops accepting
 * for good when descriptors run out (EMFILE); node's own `listen()` does
 * the same. HTTP/1.1 only.
 *
 * Properties, in every mode:
 * - A handler that throws is answered `500` with a Status body, and the
 *   error goes to `onError`; so does an error of a response body stream,
 *   which then ends the response abruptly, so the client sees it truncated.
 * - A client that disconnects mid-response cancels the response body.
 * - Shutting down (`shutdown()` or `signal`) stops accepting connections,
 *   ends every open response body cleanly (cancelling its source), waits for
 *   handlers still running, and then resolves `finished`.
 * - The {@linkcode remoteUserCnHeader} header that reaches the handler is
 *   set by the TLS layer only, never by the client.
 * - Floods cannot take it down: at most `maxConnections` connections are
 *   open (more are closed as soon as accepted), a connection waiting longer
 *   than `requestHeaderTimeoutMs` for a request head (or a TLS handshake) is
 *   closed, and a failed accept (EMFILE included) is retried with backoff,
 *   never fatal; both are told, rate-limited, to `onAcceptFailure` and
 *   `onRefusal`.
 *
 * @module
 */

import { type Listener, listenNode } from "./_serve_node.ts";
import type { AcceptFailure, Refusal } from "../net/accept_loop.ts";
import { failureStatus } from "./status.ts";
import { cannot } from "../cannot.ts";

/**
 * The request header carrying the subject common name of the client
 * certificate, set only when `tls.clientCa` verified one. Any value the client
 * sent under this name is removed before the handler sees the request, so its
 * presence proves a verified certificate.
 */
export const remoteUserCnHeader = "x-remote-user-cn";

/** A fetch-style handler. */
export type Handler = (request: Request) => Response | Promise<Response>;

/** TLS settings of {@linkcode serve}. */
export interface ServeTlsOptions {
  /** Serving certificate chain, PEM. */
  cert: string;
  /** Its private key, PEM. */
  key: string;
  /**
   * CA certificates, PEM, that client certificates must be signed by. When
   * set, a client without such a certificate is refused during the handshake.
   */
  clientCa?: string[];
}

/** How many connections a server holds, and how long one may wait for a request head. */
export interface ConnectionLimits {
  /** Most connections open at once; more are closed as soon as accepted. Defaults to 1000. */
  maxConnections?: number;
  /**
   * How long a connection may wait for a request head, in ms: after it
   * opened (or its TLS handshake began), and after each response when it
   * is idle. Defaults to 30 s, about kube-apiserver's (32 s).
   */
  requestHeaderTimeoutMs?: number;
}

/** The defaults of {@linkcode ConnectionLimits}. */
export const defaultConnectionLimits: Required<ConnectionLimits> = {
  maxConnections: 1000,
  requestHeaderTimeoutMs: 30_000,
};

/** Options of {@linkcode serve}. */
export interface ServeOptions extends ConnectionLimits {
  /** Address to listen on. Defaults to `0.0.0.0`. */
  hostname?: string;
  /** Port to listen on; `0` picks a free one (see {@linkcode Server.port}). */
  port: number;
  /** Serve HTTPS with these settings. Defaults to plain HTTP. */
  tls?: ServeTlsOptions;
  /** Aborting shuts the server down, as {@linkcode Server.shutdown} does. */
  signal?: AbortSignal;
  /** Told of every error thrown by the handler or by a response body. Must not throw. */
  onError?: (error: unknown) => void;
  /** Told of failed accepts, at once and then at most once per 10 s. Must not throw. */
  onAcceptFailure?: (report: AcceptFailure) => void;
  /** Told of connections refused at the cap, at once and then at most once per 10 s. Must not throw. */
  onRefusal?: (report: Refusal) => void;
}

/** A listening server. */
export interface Server {
  /** The port listened on. */
  readonly port: number;
  /** Resolves once the server has shut down and every connection is closed. */
  readonly finished: Promise<void>;
  /** Shuts the server down (see the module doc) and resolves with `finished`. */
  shutdown(): Promise<void>;
}

/**
 * Starts serving `handler`. Rejects if the options are invalid, if `signal`
 * has already aborted (with its reason), or if the address cannot be listened
 * on (a `Deno.errors.AddrInUse` naming the port when it is taken).
 *
 * @example Plain HTTP on a free port
 * ```ts ignore
 * const server = await serve(() => new Response("ok"), { hostname: "127.0.0.1", port: 0 });
 * await server.shutdown();
 * ```
 */
export function serve(handler: Handler, options: ServeOptions): Promise<Server> {
  try {
    return Promise.resolve(listening(handler, options));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** What {@linkcode serve} resolves with; throws where it rejects. */
function listening(handler: Handler, options: ServeOptions): Server {
  const { hostname = "0.0.0.0", port, tls, signal, onError } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(cannot("serve", "'port' must be an integer from 0 to 65535", port));
  }
  const limits = checkLimits(options);
  if (tls) checkTls(tls);
  signal?.throwIfAborted();
  const report = (error: unknown) => {
    try {
      onError?.(error);
    } catch {
      // onError must not throw; a throwing one must not take a connection down with it.
    }
  };
  const bodies = new OpenBodies(report);
  const answer = async (request: Request): Promise<Response> => {
    let response: Response;
    try {
      response = await handler(request);
    } catch (error) {
      report(error);
      return internalError();
    }
    return response.body ? new Response(bodies.track(response.body), response) : response;
  };
  const where = `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  let listener: Listener;
  try {
    listener = listenNode(answer, {
      hostname,
      port,
      ...(tls ? { tls } : {}),
      identityHeader: remoteUserCnHeader,
      maxConnections: limits.maxConnections,
      headTimeoutMs: limits.requestHeaderTimeoutMs,
      onError: report,
      ...(options.onAcceptFailure ? { onAcceptFailure: options.onAcceptFailure } : {}),
      ...(options.onRefusal ? { onRefusal: options.onRefusal } : {}),
    });
  } catch (error) {
    throw listenError(error, where, port);
  }

  let shutdown: Promise<void> | undefined;
  const server: Server = {
    port: listener.port,
    finished: listener.finished,
    shutdown() {
      shutdown ??= (async () => {
        const closed = listener.close();
        bodies.closeAll();
        await closed;
      })();
      return shutdown;
    },
  };
  if (signal) {
    const onAbort = () => void server.shutdown();
    signal.addEventListener("abort", onAbort, { once: true });
    void listener.finished.then(() => signal.removeEventListener("abort", onAbort));
  }
  return server;
}

/**
 * The response bodies being sent, so that shutdown can end them. Each is
 * wrapped in a stream that pulls one chunk at a time from its source (no
 * buffering ahead of the socket) and forwards a cancel to it.
 */
class OpenBodies {
  readonly #report: (error: unknown) => void;
  readonly #closers = new Set<() => void>();
  #closed = false;

  constructor(report: (error: unknown) => void) {
    this.#report = report;
  }

  track(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    const reader = body.getReader();
    let ended = false;
    const end = () => {
      ended = true;
      this.#closers.delete(close);
    };
    let close = () => {};
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        close = () => {
          end();
          controller.close();
          reader.cancel().catch(this.#report);
        };
        if (this.#closed) close();
        else this.#closers.add(close);
      },
      pull: async (controller) => {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (ended) return;
          end();
          this.#report(error);
          return controller.error(error);
        }
        if (ended) return;
        if (!chunk.done) return controller.enqueue(chunk.value);
        end();
        controller.close();
      },
      cancel: (reason) => {
        end();
        return reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
  }

  /** Ends every tracked body, and any tracked from now on, cleanly. */
  closeAll(): void {
    this.#closed = true;
    for (const close of [...this.#closers]) close();
  }
}

/** The limits of `options`, defaults filled in; throws a RangeError for a bad one. */
function checkLimits(options: ConnectionLimits): Required<ConnectionLimits> {
  const { maxConnections, requestHeaderTimeoutMs } = { ...defaultConnectionLimits, ...options };
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new RangeError(
      cannot("serve", "'maxConnections' must be a positive integer", maxConnections),
    );
  }
  if (!(requestHeaderTimeoutMs > 0) || !Number.isFinite(requestHeaderTimeoutMs)) {
    throw new RangeError(
      cannot("serve", "'requestHeaderTimeoutMs' must be a positive number", requestHeaderTimeoutMs),
    );
  }
  return { maxConnections, requestHeaderTimeoutMs };
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * Refuses unusable TLS material before listening: `node:https` would accept
 * anything and fail every handshake later. Key material is never quoted.
 */
function checkTls({ cert, key, clientCa }: ServeTlsOptions): void {
  try {
    // rustls parses the pair and checks that the key is the certificate's, as serving will.
    Deno.createHttpClient({ cert, key }).close();
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new TypeError(
      `Cannot serve as 'tls.cert' and 'tls.key' must be a PEM certificate and its key: ${detail}`,
      { cause },
    );
  }
  if (clientCa === undefined) return;
  if (clientCa.length === 0) {
    throw new TypeError(
      cannot("serve", "'tls.clientCa' must hold at least one certificate", clientCa),
    );
  }
  // TLS libraries skip text that is not a certificate, which would trust nothing.
  const bad = clientCa.findIndex((pem) => !CERTIFICATE_BLOCK.test(pem));
  if (bad >= 0) {
    throw new TypeError(
      `Cannot serve as 'tls.clientCa' must hold PEM certificates: entry ${bad} has no CERTIFICATE block`,
    );
  }
}

function listenError(error: unknown, where: string, port: number): Error {
  const detail = error instanceof Error ? error.message : String(error);
  const inUse = error instanceof Deno.errors.AddrInUse ||
    (error as { code?: unknown } | null)?.code === "EADDRINUSE";
  return inUse
    ? new Deno.errors.AddrInUse(`Cannot listen on ${where} as port ${port} is already in use`, {
      cause: error,
    })
    : new Error(`Cannot listen on ${where}: ${detail}`, { cause: error });
}

function internalError(): Response {
  const message = "Internal error occurred: the handler failed";
  return Response.json(failureStatus(500, "InternalError", message), { status: 500 });
}
