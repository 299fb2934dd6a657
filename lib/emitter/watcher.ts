/**
 * One open watch as a byte stream, with kube-apiserver's flow control:
 *
 * - The starting events (the current state, or a replay from the history)
 *   are produced lazily, as the client reads: a client that reads slowly
 *   holds the watch's start back, it is never closed for it, and the lines
 *   are not buffered ahead of the socket.
 * - Changes that arrive meanwhile, and later, wait in a queue bounded by
 *   `bufferBytes`. A watcher whose queue would pass the bound is too slow: its
 *   queue is dropped and the stream ends cleanly, as kube-apiserver ends an
 *   unresponsive watcher; the client resumes from the last version it read
 *   (replayed from the history) or relists.
 * - Lines are shared {@linkcode EventLines} bytes; the queue holds references
 *   to them, so the bound counts bytes this watcher would send, not bytes it
 *   owns.
 *
 * Invariants: events reach the client in the order they were offered, after
 * every starting event; nothing is enqueued after the stream closed; a
 * closed watcher holds no queued line and no snapshot.
 *
 * @module
 */

import { concatBytes } from "../concat_bytes.ts";

/** Options of {@linkcode Watcher}. */
export interface WatcherOptions {
  /** Bytes of changes queued before the watcher is closed as too slow. */
  bufferBytes: number;
  /** Starting lines, pulled one by one as the client reads. */
  initial?: Iterator<Uint8Array | undefined>;
  /** Called once when the watcher closes, for whatever reason. */
  onClose: () => void;
  /** Called when the watcher is closed for falling behind, before `onClose`. */
  onSlow: () => void;
}

/** Bytes handed to the HTTP layer per read; bounds what sits between the queue and the socket. */
const batchBytes = 64 * 1024;

/** One watch's outgoing stream. */
export class Watcher {
  /** The response body. */
  readonly stream: ReadableStream<Uint8Array>;
  readonly #options: WatcherOptions;
  #initial: Iterator<Uint8Array | undefined> | undefined;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #wake: (() => void) | undefined;
  #ending = false;
  #open = true;

  /** Creates the stream; nothing is read from `initial` before the client reads. */
  constructor(options: WatcherOptions) {
    this.#options = options;
    this.#initial = options.initial;
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: (controller) => this.#pull(controller),
      cancel: () => this.#close(),
    }, { highWaterMark: 0 });
  }

  /** Whether the watch is still open. */
  get open(): boolean {
    return this.#open;
  }

  /** Bytes of changes waiting for the client. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Queues a line after everything offered before; closes the watcher if it is too far behind. */
  push(line: Uint8Array): void {
    if (!this.#open || this.#ending) return;
    if (this.#queuedBytes + line.byteLength > this.#options.bufferBytes) {
      this.#options.onSlow();
      this.end();
      return;
    }
    this.#queue.push(line);
    this.#queuedBytes += line.byteLength;
    this.#wakeReader();
  }

  /** Sends what is queued, then ends the stream (e.g. after an ERROR line). */
  finish(): void {
    this.#ending = true;
    this.#wakeReader();
  }

  /** Ends the stream now, dropping what is queued (timeout, shutdown, too slow). */
  end(): void {
    if (!this.#open) return;
    try {
      this.#controller.close();
    } catch {
      // Already cancelled by the client.
    }
    this.#close();
  }

  async #pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    while (this.#open) {
      const lines: Uint8Array[] = [];
      let sent = 0;
      while (sent < batchBytes) {
        const line = this.#next();
        if (!line) break;
        lines.push(line);
        sent += line.byteLength;
      }
      // One chunk per read: the HTTP layer writes each chunk it is given.
      if (sent > 0) return controller.enqueue(concatBytes(lines));
      if (this.#ending) return this.end();
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  #next(): Uint8Array | undefined {
    while (this.#initial) {
      const step = this.#initial.next();
      if (step.done) this.#initial = undefined;
      else if (step.value) return step.value;
    }
    const line = this.#queue.shift();
    if (line) this.#queuedBytes -= line.byteLength;
    return line;
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#initial = undefined;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#wakeReader();
    this.#options.onClose();
  }
}
