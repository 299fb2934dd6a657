/**
 * The mutual-TLS listener of `serve()`: `node:https`, which can ask
 * clients for a certificate where `Deno.serve` cannot, adapted to a
 * fetch-style handler.
 *
 * - The request becomes a `Request` whose body streams from the socket and
 *   whose signal aborts if the client disconnects before the answer is sent.
 * - The response body is written a chunk at a time: the next chunk is read
 *   only once the socket took the previous one (`drain`), so an endless
 *   watch is never buffered, and each chunk is written as soon as it comes.
 *   A client that disconnects cancels the body.
 * - The handshake refuses clients without a certificate signed by `clientCa`
 *   (`rejectUnauthorized`), and the handler is told the verified subject CN
 *   in `identityHeader`, which is removed from what the client sent.
 * - At close, `server.close()` ends idle keep-alive connections, and the
 *   others once their answer is sent (as Node does since 19; tested).
 *
 * Tested through `serve_test.ts`.
 *
 * @module
 */

import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { Readable } from "node:stream";

/** A started listener. */
export interface Listener {
  /** The port listened on. */
  port: number;
  /** Resolves once the listener is closed and so is every connection. */
  finished: Promise<void>;
  /** Stops accepting; resolves with `finished`. */
  close(): Promise<void>;
}

/** Options of {@linkcode listenMutualTls}. */
export interface MutualTlsOptions {
  /** Address to listen on. */
  hostname: string;
  /** Port to listen on, 0 for any. */
  port: number;
  /** Serving certificate and key, and the CAs client certificates must be signed by; PEM. */
  tls: { cert: string; key: string; clientCa: string[] };
  /** Request header that carries the client certificate's subject CN. */
  identityHeader: string;
  /** Told of errors while answering; the connection is then destroyed. */
  onError: (error: unknown) => void;
}

/**
 * Listens with mutual TLS and answers each request with `answer`, which must
 * not throw. Rejects with node's error (e.g. code `EADDRINUSE`) if it cannot listen.
 */
export async function listenMutualTls(
  answer: (request: Request) => Promise<Response>,
  options: MutualTlsOptions,
): Promise<Listener> {
  const { hostname, port, tls, identityHeader, onError } = options;
  const server: Server = createServer({
    cert: tls.cert,
    key: tls.key,
    ca: tls.clientCa,
    requestCert: true,
    rejectUnauthorized: true,
  });
  let where = ""; // host:port, known once listening
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    respond(answer, req, res, { where, identityHeader }).catch((error) => {
      onError(error);
      res.destroy();
    });
  });
  const finished = new Promise<void>((resolve) => server.once("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => {
      server.off("error", reject);
      server.on("error", onError); // unheard, an "error" event would throw
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  where = `${hostname.includes(":") ? `[${hostname}]` : hostname}:${bound}`;
  return {
    port: bound,
    finished,
    close() {
      server.close();
      return finished;
    },
  };
}

interface RequestContext {
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
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => headers[name] = value);
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  if (response.statusText) res.writeHead(response.status, response.statusText, headers);
  else res.writeHead(response.status, headers);
  if (!response.body || req.method === "HEAD") {
    await response.body?.cancel();
    res.end();
    return;
  }
  res.flushHeaders(); // a watch may send nothing for a while; its client waits for headers
  const reader = response.body.getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  disconnected.signal.addEventListener("abort", cancel, { once: true });
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      if (res.destroyed) break;
      if (!res.write(chunk.value)) await drained(res);
    }
    if (res.destroyed) cancel();
    else res.end();
  } catch (error) {
    // The body's own error, reported by serve(); end abruptly so the client sees truncation.
    res.destroy(error instanceof Error ? error : new Error(String(error)));
  } finally {
    disconnected.signal.removeEventListener("abort", cancel);
  }
}

/** The fetch `Request` for a node request, or `undefined` if it cannot be one (answered 400). */
function toRequest(
  req: IncomingMessage,
  signal: AbortSignal,
  { where, identityHeader }: RequestContext,
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
  const cn = clientCommonName(req.socket as TLSSocket);
  if (cn !== undefined) headers.set(identityHeader, cn);
  const method = req.method ?? "GET";
  const body = method === "GET" || method === "HEAD"
    ? {}
    : { body: Readable.toWeb(req) as ReadableStream<Uint8Array> };
  return new Request(`https://${host}${path}`, { method, headers, signal, ...body });
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
