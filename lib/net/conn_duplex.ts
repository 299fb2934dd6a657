/**
 * A `node:stream` Duplex over a `Deno.Conn`, so that a connection this
 * process accepted itself can be handed to a `node:http` or `node:https`
 * server (`server.emit("connection", duplex)`, which Node documents for any
 * Duplex).
 *
 * - Reading: one `conn.read` at a time, only while the stream wants data
 *   (backpressure reaches the socket). A read waiting on an idle connection
 *   holds a 4 KiB buffer; a read that fills its buffer is followed by one of
 *   64 KiB, as more is likely waiting. A read of at most 1 KiB is copied
 *   out, and its buffer reused, so a request head that arrives a byte at a
 *   time holds its bytes, not a buffer per byte. End of stream (or a reset)
 *   ends the readable side.
 * - Writing: each chunk is written whole before its callback runs; of the
 *   chunks corked together, runs of small ones (under 4 KiB) are joined into
 *   one write, and a large one is written as it is, never copied.
 * - `end()` shuts the write side down (FIN) once everything is written;
 *   `destroy()` closes the connection, and is the only way it is closed, so
 *   the `close` event means it is. Bytes already handed to a write are sent
 *   first, as the kernel sends what a socket took (a TLS alert written just
 *   before a destroy reaches the client), but for at most
 *   {@linkcode lingerMs}: a peer that reads nothing cannot hold it open.
 *
 * @module
 */

import { Duplex } from "node:stream";
import { concatBytes } from "../concat_bytes.ts";

const idleReadBytes = 4 * 1024;
const busyReadBytes = 64 * 1024;
/** Chunks of one write smaller than this are joined before they are written. */
const joinBelowBytes = 4 * 1024;
/** Reads of at most this many bytes are copied out of their buffer. */
const copyBelowBytes = 1024;
/** Longest wait of `destroy()` for a write in progress. */
export const lingerMs = 1_000;

/** The Duplex over `conn`; it owns `conn` from now on. */
export function connDuplex(conn: Deno.Conn): Duplex {
  let reading = false;
  let size = idleReadBytes;
  /** The buffer of the next read, kept across short reads. */
  let buffer: Uint8Array | undefined;
  /** The write in progress, if any. */
  let writing: Promise<void> | undefined;
  const write = (parts: Uint8Array[], callback: (error?: Error | null) => void) => {
    const written = writeParts(conn, parts);
    writing = written.catch(() => {}).finally(() => writing = undefined);
    written.then(() => callback(), callback);
  };
  const duplex: Duplex = new Duplex({
    read() {
      if (reading) return;
      reading = true;
      void pump();
    },
    write(chunk: Uint8Array, _encoding, callback) {
      write([chunk], callback);
    },
    writev(chunks: { chunk: Uint8Array }[], callback) {
      write(coalesced(chunks.map((each) => each.chunk)), callback);
    },
    final(callback) {
      conn.closeWrite().then(() => callback(), () => callback());
    },
    destroy(error, callback) {
      const close = () => {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
        callback(error);
      };
      if (!writing) return close();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const lingered = new Promise<void>((resolve) => timer = setTimeout(resolve, lingerMs));
      void Promise.race([writing, lingered]).then(() => {
        clearTimeout(timer);
        close();
      });
    },
  });

  /** Reads while the stream wants more; stops on backpressure, end or error. */
  async function pump(): Promise<void> {
    try {
      while (!duplex.destroyed) {
        buffer ??= new Uint8Array(size);
        const read = await conn.read(buffer);
        if (read === null) {
          duplex.push(null);
          return;
        }
        size = read === buffer.length ? busyReadBytes : idleReadBytes;
        // A short read is copied out and its buffer kept: what the parser
        // holds (a head arriving a byte at a time) costs its bytes only.
        const chunk = read <= copyBelowBytes ? buffer.slice(0, read) : buffer.subarray(0, read);
        if (read > copyBelowBytes || buffer.length !== size) buffer = undefined;
        if (!duplex.push(chunk)) return;
      }
    } catch (error) {
      // A reset or a close by destroy(): the peer is gone either way.
      if (!duplex.destroyed) duplex.destroy(error instanceof Error ? error : undefined);
    } finally {
      reading = false;
    }
  }
  return duplex;
}

/**
 * `chunks` with each run of small ones joined: a large chunk is written as
 * it is (no copy of a body), and the small ones around it (chunked
 * encoding's size lines) do not cost a write each.
 */
function coalesced(chunks: Uint8Array[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let small: Uint8Array[] = [];
  for (const chunk of chunks) {
    if (chunk.length < joinBelowBytes) {
      small.push(chunk);
      continue;
    }
    if (small.length > 0) parts.push(concatBytes(small));
    small = [];
    parts.push(chunk);
  }
  if (small.length > 0) parts.push(concatBytes(small));
  return parts;
}

async function writeParts(conn: Deno.Conn, parts: Uint8Array[]): Promise<void> {
  for (const part of parts) await writeAll(conn, part);
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}
