/**
 * The request-head bound of an HTTP/1.1 server: a connection may wait for
 * a request head for at most `timeoutMs`, counted from when it opened (for
 * TLS, from the end of the handshake) and again from the end of each
 * response after which none is in flight; past it the connection is
 * destroyed. A head that arrives a byte at a time is a head that has not
 * arrived, so a slow-head client is closed like a silent one, and so is a
 * keep-alive connection left idle. While a request is in flight (its head
 * arrived, its response has not ended, however long a watch lasts) the
 * connection has no deadline.
 *
 * The caller's duties: {@linkcode HeadDeadlines.watch} each connection once
 * it can carry a request head, and tell of each request's start and end on
 * it, in pairs. Sockets are the ones the HTTP parser reads (`req.socket`).
 *
 * @module
 */

import type { Duplex } from "node:stream";
import { cannot } from "../cannot.ts";

interface Watched {
  /** Requests whose head arrived and whose response has not ended. */
  inFlight: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Deadlines for request heads; see the module doc. */
export class HeadDeadlines {
  readonly #timeoutMs: number;
  readonly #watched = new Map<Duplex, Watched>();

  /** Throws a RangeError unless `timeoutMs` is a positive number. */
  constructor(timeoutMs: number) {
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      throw new RangeError(
        cannot("bound request heads", "'timeoutMs' must be a positive number", timeoutMs),
      );
    }
    this.#timeoutMs = timeoutMs;
  }

  /** Connections watched (open and told of). */
  get size(): number {
    return this.#watched.size;
  }

  /** Starts the deadline of `socket`, which waits for its first head from now. */
  watch(socket: Duplex): void {
    if (this.#watched.has(socket) || socket.destroyed) return;
    const watched: Watched = { inFlight: 0, timer: undefined };
    this.#watched.set(socket, watched);
    socket.once("close", () => {
      clearTimeout(watched.timer);
      this.#watched.delete(socket);
    });
    this.#arm(socket, watched);
  }

  /** A request head arrived on `socket`: no deadline until its response ends. */
  started(socket: Duplex): void {
    const watched = this.#watched.get(socket);
    if (!watched) return;
    watched.inFlight++;
    clearTimeout(watched.timer);
    watched.timer = undefined;
  }

  /** A response on `socket` ended: with none left in flight, it waits for a head again. */
  ended(socket: Duplex): void {
    const watched = this.#watched.get(socket);
    if (!watched || watched.inFlight === 0) return;
    watched.inFlight--;
    if (watched.inFlight === 0) this.#arm(socket, watched);
  }

  /** Destroys every watched connection that is waiting for a head now (shutting down). */
  closeWaiting(): void {
    for (const [socket, watched] of [...this.#watched]) {
      if (watched.inFlight === 0) socket.destroy();
    }
  }

  #arm(socket: Duplex, watched: Watched): void {
    clearTimeout(watched.timer);
    watched.timer = setTimeout(() => socket.destroy(), this.#timeoutMs);
  }
}
