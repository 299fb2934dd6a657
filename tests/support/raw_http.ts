/**
 * One HTTP/1.1 exchange written byte for byte on a fresh connection, for
 * tests that must send what `fetch` refuses or rewrites: any method token,
 * a request target taken literally (`..`, `//`, raw percent-encoding), and
 * request lines or headers of any size. The request always carries
 * `Connection: close`, so the response ends where the connection does.
 *
 * Properties: the answer is read whole (chunked bodies decoded); a server
 * that closes without an answer, or resets the connection, yields
 * {@linkcode RawResponse.status} 0 rather than an error, because "no answer"
 * is an outcome those tests compare.
 *
 * @module
 */

import { Buffer } from "node:buffer";

/** Where to connect: plain TCP, or TLS with the CA and an optional client certificate. */
export interface RawTarget {
  /** Host name or IP address. */
  hostname: string;
  /** TCP port. */
  port: number;
  /** TLS settings; omitted for plain HTTP. */
  tls?: { caCerts: string[]; cert?: string; key?: string };
}

/** What to send. */
export interface RawRequest {
  /** The method token, sent as given. */
  method: string;
  /** The request target, sent as given (e.g. `/api/v1/../v1/services`). */
  target: string;
  /** Header fields, sent in order after `Host`. */
  headers?: [string, string][];
  /** A request body; `Content-Length` is added for it. */
  body?: string;
  /** Aborts the exchange. Defaults to a 30 s timeout. */
  signal?: AbortSignal;
}

/** The answer. */
export interface RawResponse {
  /** Status code; 0 when the server closed or reset the connection without one. */
  status: number;
  /** Header fields, names lower-cased; repeated fields joined with ", ". */
  headers: Record<string, string>;
  /** The body, de-chunked, as text. */
  body: string;
}

const encoder = new TextEncoder();

/** Sends `request` to `target` on a new connection and reads the whole answer. */
export async function rawExchange(target: RawTarget, request: RawRequest): Promise<RawResponse> {
  const signal = request.signal ?? AbortSignal.timeout(30_000);
  const conn: Deno.Conn = target.tls
    ? await Deno.connectTls({ hostname: target.hostname, port: target.port, ...target.tls })
    : await Deno.connect({ hostname: target.hostname, port: target.port });
  const onAbort = () => conn.close();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const lines = [
      `${request.method} ${request.target} HTTP/1.1`,
      `Host: ${target.hostname}:${target.port}`,
      ...(request.headers ?? []).map(([name, value]) => `${name}: ${value}`),
      ...(request.body !== undefined
        ? [`Content-Length: ${encoder.encode(request.body).byteLength}`]
        : []),
      "Connection: close",
    ];
    const head = encoder.encode(lines.join("\r\n") + "\r\n\r\n" + (request.body ?? ""));
    let raw: Uint8Array;
    try {
      await writeAll(conn, head);
      raw = await readAll(conn);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      // A server refusing a request may reset the connection mid-write.
      if (error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe) {
        return { status: 0, headers: {}, body: "" };
      }
      throw error;
    }
    return parseResponse(raw);
  } finally {
    signal.removeEventListener("abort", onAbort);
    try {
      conn.close();
    } catch {
      // Closed by the abort.
    }
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) written += await conn.write(bytes.subarray(written));
}

async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(64 * 1024);
  while (true) {
    let read: number | null;
    try {
      read = await conn.read(buffer);
    } catch (error) {
      // A reset after a complete answer (Go closes early on refusals) keeps what arrived.
      if (error instanceof Deno.errors.ConnectionReset && chunks.length > 0) break;
      throw error;
    }
    if (read === null) break;
    chunks.push(buffer.slice(0, read));
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function parseResponse(raw: Uint8Array): RawResponse {
  const text = new TextDecoder().decode(raw);
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return { status: 0, headers: {}, body: "" };
  const [statusLine = "", ...fields] = text.slice(0, end).split("\r\n");
  const headers: Record<string, string> = {};
  for (const field of fields) {
    const colon = field.indexOf(":");
    const name = field.slice(0, colon).trim().toLowerCase();
    const value = field.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const rest = text.slice(end + 4);
  const chunked = headers["transfer-encoding"]?.toLowerCase() === "chunked";
  return {
    status: Number(statusLine.split(" ")[1] ?? 0),
    headers,
    body: chunked ? dechunk(rest) : rest,
  };
}

/** Decodes a chunked body; lengths count bytes, so this works on the UTF-8 bytes. */
function dechunk(text: string): string {
  const bytes = encoder.encode(text);
  const decoder = new TextDecoder();
  const parts: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.byteLength) {
    let lineEnd = offset;
    while (lineEnd < bytes.byteLength && bytes[lineEnd] !== 0x0d) lineEnd++;
    const size = parseInt(decoder.decode(bytes.subarray(offset, lineEnd)).split(";")[0] ?? "", 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return parts.map((part) => decoder.decode(part, { stream: true })).join("") + decoder.decode();
}
