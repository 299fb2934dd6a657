/**
 * The listener of `serve()`: connections accepted by a bounded accept loop
 * (`lib/net/accept_loop.ts`), read by `node:http` (plain) or `node:https`
 * (TLS, with client certificates when asked), and answered by a
 * fetch-style handler. Neither `Deno.serve` nor node's own `listen()` can
 * bound connections and survive running out of descriptors (both give up
 * accepting on EMFILE), so the node server never listens itself: each
 * accepted connection is handed to it as a Duplex
 * (`server.emit("connection", ...)`, which Node documents).
 *
 * - Connections: at most `maxConnections` open, more closed as soon as
 *   accepted; a failed accept is retried with backoff (the loop's module
 *   doc). TCP_NODELAY is set, so each chunk of a watch leaves at once.
 * - Request heads: a connection waiting for one (new, after a TLS handshake,
 *   or idle between keep-alive requests) longer than `headTimeoutMs` is
 *   closed (`lib/net/head_deadlines.ts`); so is a TLS handshake that takes
 *   longer (node's `handshakeTimeout`). Node's own header and request
 *   timers start only on `listen()`, so they never run here: a watch is
 *   never cut by them.
 * - The request becomes a `Request` whose body streams from the socket and
 *   whose signal aborts if the client disconnects before the answer is sent.
 * - The response body is written a chunk at a time: the next chunk is read
 *   only once the socket took the previous one (`drain`), so an endless
 *   watch is never buffered. A body that is complete within one turn of the
 *   event loop is sent with a `content-length` in one write; otherwise the
 *   head goes out with the chunks read so far, or alone, at once (a watch
 *   may send nothing for a while, and its client waits for the head).
 *   A client that disconnects cancels the body.
 * - With `tls.clientCa`, the handshake refuses clients without a
 *   certificate signed by it (`rejectUnauthorized`), and the handler is told
 *   the verified subject CN in `identityHeader`, which is always removed
 *   from what the client sent.
 * - At close: accepting stops, connections waiting for a head are closed at
 *   once, the others once their responses ended, and `finished` resolves
 *   when every connection is closed.
 *
 * HTTP/1.1 only. Tested through `serve_test.ts`.
 *
 * @module
 */

import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { TLSSocket } from "node:tls";
import { Readable } from "node:stream";
import { clearImmediate, setImmediate } from "node:timers";
import type { Duplex } from "node:stream";
import { type AcceptFailure, AcceptLoop, type Refusal } from "../net/accept_loop.ts";
import { connDuplex } from "../net/conn_duplex.ts";
import { HeadDeadlines } from "../net/head_deadlines.ts";
import { concatBytes } from "../concat_bytes.ts";

/** A started listener. */
export interface Listener {
  /** The port listened on. */
  port: number;
  /** Resolves once the listener is closed and so is every connection. */
  finished: Promise<void>;
  /** Stops accepting; resolves with `finished`. */
  close(): Promise<void>;
}

/** Options of {@linkcode listenNode}. */
export interface NodeListenerOptions {
  /** Address to listen on. */
  hostname: string;
  /** Port to listen on, 0 for any. */
  port: number;
  /** Serve TLS with this certificate and key; with `clientCa`, require client certificates. */
  tls?: { cert: string; key: string; clientCa?: string[] };
  /** Request header that carries the client certificate's subject CN. */
  identityHeader: string;
  /** Most connections open at once. */
  maxConnections: number;
  /** Longest wait for a request head (and for a TLS handshake), in ms. */
  headTimeoutMs: number;
  /** Told of errors while answering; the connection is then destroyed. */
  onError: (error: unknown) => void;
  /** Told, rate-limited, of failed accepts. */
  onAcceptFailure?: (report: AcceptFailure) => void;
  /** Told, rate-limited, of connections refused at the cap. */
  onRefusal?: (report: Refusal) => void;
}

/** Heads over this are answered 431, as the `Deno.serve` this replaced bounded them. */
const maxHeaderSize = 64 * 1024;

/**
 * Listens and answers each request with `answer`, which must not throw.
 * Throws what `Deno.listen` throws (e.g. `Deno.errors.AddrInUse`).
 */
export function listenNode(
  answer: (request: Request) => Promise<Response>,
  options: NodeListenerOptions,
): Listener {
  const { hostname, tls, identityHeader, headTimeoutMs, onError } = options;
  const listener = Deno.listen({ hostname, port: options.port });
  const bound = listener.addr.port;
  const context: RequestContext = {
    scheme: tls ? "https" : "http",
    where: `${hostname.includes(":") ? `[${hostname}]` : hostname}:${bound}`,
    identityHeader,
  };
  const deadlines = new HeadDeadlines(headTimeoutMs);
  const connections = new Connections();
  const server = nodeServer(tls, headTimeoutMs, connections);
  if (tls) server.on("secureConnection", (socket: TLSSocket) => deadlines.watch(socket));
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    deadlines.started(socket);
    connections.responding(res, () => deadlines.ended(socket));
    respond(answer, req, res, context).catch((error) => {
      onError(error);
      res.destroy();
    });
  });
  const loop = new AcceptLoop(listener, (conn, release) => {
    (conn as Deno.TcpConn).setNoDelay(true);
    const socket = connDuplex(conn);
    connections.add(socket, release);
    if (!tls) deadlines.watch(socket);
    server.emit("connection", socket);
  }, {
    maxConnections: options.maxConnections,
    ...(options.onAcceptFailure ? { onAcceptFailure: options.onAcceptFailure } : {}),
    ...(options.onRefusal ? { onRefusal: options.onRefusal } : {}),
  });
  let closing: Promise<void> | undefined;
  return {
    port: bound,
    finished: connections.finished,
    close() {
      closing ??= (async () => {
        connections.closing = true;
        await loop.close();
        deadlines.closeWaiting();
        await connections.closeAfterResponses();
      })();
      return closing.then(() => connections.finished);
    },
  };
}

/**
 * The node server for `tls`, made to serve connections it did not accept:
 * it reports `listening` while this listener is not closing (a keep-alive
 * connection is destroyed after its response when it does not), and its
 * keep-alive timer is off (the head deadlines close idle connections).
 */
function nodeServer(
  tls: NodeListenerOptions["tls"],
  headTimeoutMs: number,
  connections: Connections,
): HttpServer {
  const server: HttpServer = tls
    ? createHttpsServer({
      cert: tls.cert,
      key: tls.key,
      maxHeaderSize,
      handshakeTimeout: headTimeoutMs,
      ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
    })
    : createHttpServer({ maxHeaderSize });
  server.keepAliveTimeout = 0;
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  Object.defineProperty(server, "listening", { get: () => !connections.closing });
  return server;
}

/** The open connections and the responses in flight, for close and `finished`. */
class Connections {
  /** Set once the listener closes: responses that end close their connections. */
  closing = false;
  readonly #sockets = new Set<Duplex>();
  readonly #responses = new Set<ServerResponse>();
  readonly #finished = Promise.withResolvers<void>();
  #onIdle: (() => void) | undefined;

  get finished(): Promise<void> {
    return this.#finished.promise;
  }

  add(socket: Duplex, release: () => void): void {
    this.#sockets.add(socket);
    // Errors of a raw connection (a reset) end it; whoever reads it sees the close.
    socket.on("error", () => {});
    socket.once("close", () => {
      this.#sockets.delete(socket);
      release();
      this.#settle();
    });
  }

  responding(res: ServerResponse, ended: () => void): void {
    this.#responses.add(res);
    res.once("close", () => {
      this.#responses.delete(res);
      ended();
      this.#settle();
    });
  }

  /** Waits for the responses in flight, then destroys every connection left (handshakes included). */
  async closeAfterResponses(): Promise<void> {
    if (this.#responses.size > 0) {
      await new Promise<void>((resolve) => this.#onIdle = resolve);
    }
    for (const socket of [...this.#sockets]) socket.destroy();
    this.#settle();
  }

  #settle(): void {
    if (this.#responses.size === 0) this.#onIdle?.();
    if (this.closing && this.#sockets.size === 0 && this.#responses.size === 0) {
      this.#finished.resolve();
    }
  }
}

interface RequestContext {
  /** `http` or `https`. */
  scheme: string;
  /** `host:port` for requests without a Host header. */
  where: string;
  identityHeader: string;
}

async function respond(
  answer: (request: Request) => Promise<Response>,
  req: IncomingMessage,
  res: ServerResponse,
  context: RequestContext,
): Promise<void> {
  const disconnected = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) disconnected.abort(new Error("the client disconnected"));
  });
  const request = toRequest(req, disconnected.signal, context);
  const response = request ? await answer(request) : badRequest();
  const headers = nodeHeaders(response);
  if (!response.body || req.method === "HEAD") {
    await response.body?.cancel();
    writeHead(res, response, headers);
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  disconnected.signal.addEventListener("abort", cancel, { once: true });
  try {
    await sendBody(reader, res, (length) => writeHead(res, response, headers, length));
  } catch (error) {
    // The body's own error, reported by serve(); end abruptly so the client sees truncation.
    res.destroy(error instanceof Error ? error : new Error(String(error)));
  } finally {
    disconnected.signal.removeEventListener("abort", cancel);
  }
}

/** Writes the body: whole with a length if it is complete within a turn, else streamed. */
async function sendBody(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  res: ServerResponse,
  writeHeadWith: (length?: number) => void,
): Promise<void> {
  const ahead = await readAhead(reader);
  if (ahead.done) {
    writeHeadWith(ahead.chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    res.cork(); // end() uncorks: the head and every chunk leave in one write
    for (const chunk of ahead.chunks) res.write(chunk);
    res.end();
    return;
  }
  writeHeadWith();
  for (const chunk of ahead.chunks) res.write(chunk);
  if (ahead.chunks.length === 0) res.flushHeaders();
  if (res.writableNeedDrain) await drained(res);
  // Each write carries what the body gave by the next turn of the event
  // loop (up to 64 KiB): the lines of a watch's starting state leave
  // together, and an event that comes alone leaves at that turn.
  let next = ahead.next;
  for (let first = await next; !first.done && !res.destroyed; first = await next) {
    const more = await readWithin(
      reader,
      reader.read(),
      nextImmediate,
      aheadBytes - first.value.length,
    );
    if (!res.write(concatBytes([first.value, ...more.chunks]))) await drained(res);
    if (more.done) break;
    next = more.next;
  }
  if (res.destroyed) void reader.cancel().catch(() => {});
  else res.end();
}

/** Most bytes read ahead before the head is sent. */
const aheadBytes = 64 * 1024;

type Ahead =
  | { done: true; chunks: Uint8Array[] }
  | { done: false; chunks: Uint8Array[]; next: Promise<ReadableStreamReadResult<Uint8Array>> };

/** The chunks the body gives before a zero-delay timer fires (up to {@linkcode aheadBytes}). */
function readAhead(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<Ahead> {
  return readWithin(reader, reader.read(), nextTimer, aheadBytes);
}

/** A turn of the event loop: resolves at its end; `cancel` stops it. */
type Turn = () => { ended: Promise<undefined>; cancel(): void };

const nextTimer: Turn = () => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ended = new Promise<undefined>((resolve) =>
    timer = setTimeout(() => resolve(undefined), 0)
  );
  return { ended, cancel: () => clearTimeout(timer) };
};

const nextImmediate: Turn = () => {
  let immediate: ReturnType<typeof setImmediate> | undefined;
  const ended = new Promise<undefined>((resolve) =>
    immediate = setImmediate(() => resolve(undefined))
  );
  return { ended, cancel: () => clearImmediate(immediate) };
};

/** The chunks `next` and the reads after it give before `turn` ends, up to `maxBytes`. */
async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  next: Promise<ReadableStreamReadResult<Uint8Array>>,
  turn: Turn,
  maxBytes: number,
): Promise<Ahead> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  const { ended, cancel } = turn();
  try {
    while (bytes < maxBytes) {
      const result = await Promise.race([next, ended]);
      if (result === undefined) break;
      if (result.done) return { done: true, chunks };
      chunks.push(result.value);
      bytes += result.value.length;
      next = reader.read();
    }
  } finally {
    cancel();
  }
  return { done: false, chunks, next };
}

/** The response's headers for node, `set-cookie` as a list. */
function nodeHeaders(response: Response): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => headers[name] = value);
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  return headers;
}

function writeHead(
  res: ServerResponse,
  response: Response,
  headers: Record<string, string | string[]>,
  length?: number,
): void {
  const bodiless = response.status === 204 || response.status === 304 || response.status < 200;
  if (length !== undefined && !bodiless && !("content-length" in headers)) {
    headers["content-length"] = String(length);
  }
  if (response.statusText) res.writeHead(response.status, response.statusText, headers);
  else res.writeHead(response.status, headers);
}

/** The fetch `Request` for a node request, or `undefined` if it cannot be one (answered 400). */
function toRequest(
  req: IncomingMessage,
  signal: AbortSignal,
  { scheme, where, identityHeader }: RequestContext,
): Request | undefined {
  const path = req.url ?? "/";
  const host = req.headers.host ?? where;
  // Origin-form targets only, and a host that cannot move the path.
  if (!path.startsWith("/") || !/^[\w.\-:[\]]+$/.test(host)) return undefined;
  const headers = new Headers();
  try {
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      headers.append(req.rawHeaders[i] ?? "", req.rawHeaders[i + 1] ?? "");
    }
  } catch {
    return undefined;
  }
  headers.delete(identityHeader);
  const cn = scheme === "https" ? clientCommonName(req.socket as TLSSocket) : undefined;
  if (cn !== undefined) headers.set(identityHeader, cn);
  const method = req.method ?? "GET";
  const body = method === "GET" || method === "HEAD" || forbiddenMethods.has(method)
    ? {}
    : { body: Readable.toWeb(req) as ReadableStream<Uint8Array> };
  return new WireRequest(`${scheme}://${host}${path}`, method, { headers, signal, ...body });
}

/** Methods `new Request` refuses (the fetch standard's forbidden methods), which a server still receives. */
const forbiddenMethods = new Set(["CONNECT", "TRACE", "TRACK"]);

/**
 * A `Request` whose `url` and `method` are as sent, as `Deno.serve` gives
 * them: the URL parser would resolve `.` and `..` and drop a `#`, which
 * kube-apiserver's Go server keeps (`request_target.ts`), and `new Request`
 * refuses TRACE, which a handler must still answer (405).
 */
class WireRequest extends Request {
  readonly #url: string;
  readonly #method: string;

  constructor(url: string, method: string, init: RequestInit) {
    super(url, { ...init, method: forbiddenMethods.has(method) ? "GET" : method });
    this.#url = url;
    this.#method = method;
  }

  override get url(): string {
    return this.#url;
  }

  override get method(): string {
    return this.#method;
  }
}

/** The subject CN of the client's certificate, if the handshake verified one. */
function clientCommonName(socket: TLSSocket): string | undefined {
  if (!socket.authorized) return undefined;
  const cn: unknown = socket.getPeerCertificate().subject?.CN;
  const first: unknown = Array.isArray(cn) ? cn[0] : cn;
  return typeof first === "string" ? first : undefined;
}

/** Resolves when `res` can take more, or is closed. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

function badRequest(): Response {
  const message = "the request target or headers are invalid";
  return Response.json(
    {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason: "BadRequest",
      code: 400,
    },
    { status: 400 },
  );
}
