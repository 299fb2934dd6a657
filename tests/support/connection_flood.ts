/**
 * Connection floods against a server, as an attacker would open them from
 * one host: many TCP connections that send nothing, or that send a request
 * head one byte at a time and never finish it. Each connection reads until
 * the server ends it, so a flood knows which connections the server closed
 * and how long each lived.
 *
 * Properties:
 * - Connections are opened `concurrency` at a time; one whose connect does
 *   not complete within `connectTimeoutMs` counts as not opened.
 * - A connection is *closed by the server* when its read sees the end of
 *   the stream or a reset; the flood never closes one itself before it is
 *   disposed.
 * - A slow head is `GET /api HTTP/1.1`, a Host line, then an endless header
 *   value, one byte per `byteEveryMs`: a head that is never complete.
 *
 * @module
 */

import { delay } from "./poll.ts";

/** Options of {@linkcode flood}. */
export interface FloodOptions {
  /** The server's address. */
  hostname: string;
  /** The server's port. */
  port: number;
  /** Connections to open. */
  connections: number;
  /** Send a slow request head at one byte per this many ms; omitted: send nothing. */
  byteEveryMs?: number;
  /** Connections opened at a time. Defaults to 50. */
  concurrency?: number;
  /** Longest wait for one connect. Defaults to 5 s. */
  connectTimeoutMs?: number;
}

/** A running flood. */
export interface Flood extends AsyncDisposable {
  /** Connections whose connect completed. */
  readonly opened: number;
  /** Connections the server has closed so far. */
  closedByServer(): number;
  /** How long each connection closed by the server lived, in ms, in the order they closed. */
  lifetimesMs(): number[];
  /** Closes every connection still open. */
  close(): Promise<void>;
}

interface Held {
  conn: Deno.TcpConn;
  openedAt: number;
  closedAt?: number;
  reading: Promise<void>;
}

/** Opens the flood's connections (resolves once every connect completed or timed out). */
export async function flood(options: FloodOptions): Promise<Flood> {
  const { hostname, port, connections, byteEveryMs } = options;
  const concurrency = options.concurrency ?? 50;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const stop = new AbortController();
  const held: Held[] = [];
  const open = async () => {
    const connecting = Deno.connect({ hostname, port });
    const timeout = new AbortController();
    const timedOut = delay(connectTimeoutMs, timeout.signal).then(() => undefined, () => undefined);
    const conn = await Promise.race([connecting, timedOut]).catch(() => undefined);
    timeout.abort();
    if (!conn) {
      void connecting.then((late) => late.close(), () => {});
      return;
    }
    const each: Held = { conn, openedAt: performance.now(), reading: Promise.resolve() };
    each.reading = readUntilClosed(each);
    held.push(each);
    if (byteEveryMs !== undefined) void writeSlowly(conn, byteEveryMs, stop.signal);
  };
  for (let started = 0; started < connections; started += concurrency) {
    const batch = Math.min(concurrency, connections - started);
    await Promise.all(Array.from({ length: batch }, open));
  }
  const close = async () => {
    stop.abort();
    for (const each of held) {
      if (each.closedAt !== undefined) continue;
      try {
        each.conn.close();
      } catch {
        // Closed meanwhile.
      }
    }
    await Promise.all(held.map((each) => each.reading));
  };
  return {
    opened: held.length,
    closedByServer: () => held.filter((each) => each.closedAt !== undefined).length,
    lifetimesMs: () =>
      held.filter((each) => each.closedAt !== undefined)
        .sort((a, b) => (a.closedAt ?? 0) - (b.closedAt ?? 0))
        .map((each) => (each.closedAt ?? 0) - each.openedAt),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Reads and discards until the server ends the connection; a close of ours is not theirs. */
async function readUntilClosed(each: Held): Promise<void> {
  const buffer = new Uint8Array(4096);
  try {
    while (await each.conn.read(buffer) !== null) {
      // Whatever the server says (a 408, a 400) is discarded; the end is what counts.
    }
    each.closedAt = performance.now();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) each.closedAt = performance.now();
  }
}

const encoder = new TextEncoder();

/** Writes an unfinished request head, one byte per `everyMs`, until the connection fails. */
async function writeSlowly(conn: Deno.Conn, everyMs: number, signal: AbortSignal): Promise<void> {
  const start = encoder.encode("GET /api HTTP/1.1\r\nHost: flood\r\nX-Slow: ");
  try {
    for (const byte of start) {
      await conn.write(Uint8Array.of(byte));
      await delay(everyMs, signal);
    }
    for (;;) {
      await conn.write(Uint8Array.of(0x61));
      await delay(everyMs, signal);
    }
  } catch {
    // The server closed it, or the flood ended.
  }
}
