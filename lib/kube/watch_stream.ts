/**
 * Decoding of Kubernetes watch streams: newline-delimited JSON events
 * (`{"type":"ADDED","object":{...}}\n`), as kube-apiserver and the Emitter
 * send them for `Accept: application/json`.
 *
 * Lines are split on bytes before any text decoding, so a chunk boundary
 * inside a line or inside a multi-byte UTF-8 sequence changes nothing. A line
 * longer than the bound is refused instead of buffered without limit, and a
 * stream that ends inside a line is an error (the event was truncated), not
 * a silent end.
 *
 * @module
 */

import { cannot } from "../cannot.ts";
import { bodyChunks } from "./_body_chunks.ts";
import { concatBytes } from "../concat_bytes.ts";

/** Event types of a Kubernetes watch. */
export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

/** One watch event. For `ERROR`, `object` is a `Status`. */
export interface WatchEvent<T> {
  /** What happened. */
  type: WatchEventType;
  /** The object after the change (for DELETED: its last state). */
  object: T;
}

/** The watch stream broke the protocol: a line too long, truncated, or not an event. */
export class WatchStreamError extends Error {
  /** Creates the error with `message`, keeping `cause`. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "WatchStreamError";
  }
}

/** A line of the watch stream is longer than the bound; reading stopped at the bound. */
export class LineTooLongError extends WatchStreamError {
  /** The bound. */
  readonly maxLineBytes: number;

  /** Creates the error for a line longer than `maxLineBytes`. */
  constructor(maxLineBytes: number) {
    super(`Cannot decode watch stream: a line exceeds ${maxLineBytes} bytes`);
    this.name = "LineTooLongError";
    this.maxLineBytes = maxLineBytes;
  }
}

/** Default bound on one event's encoded size: 16 MiB, far above any Service or slice. */
export const defaultMaxLineBytes = 16 * 1024 * 1024;

const newline = 0x0a;

/**
 * Splits bytes into lines (without the `\n`), refusing any line longer
 * than `maxLineBytes` with a {@linkcode LineTooLongError} as soon as its
 * first `maxLineBytes + 1` bytes arrived. Empty lines are dropped. Lines
 * may view the chunk they came from, so they are valid only until that
 * chunk's buffer is reused; the part of a line still unfinished at the end
 * of a chunk is copied.
 */
export class LineSplitter {
  readonly #maxLineBytes: number;
  // Pieces of the current, unfinished line (copies); their total length is `#pending`.
  #pieces: Uint8Array[] = [];
  #pending = 0;

  /** Creates a splitter refusing lines over `maxLineBytes` (default {@linkcode defaultMaxLineBytes}). */
  constructor(maxLineBytes: number = defaultMaxLineBytes) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new RangeError(
        cannot("split lines", "'maxLineBytes' must be a positive integer", maxLineBytes),
      );
    }
    this.#maxLineBytes = maxLineBytes;
  }

  /** The lines that `chunk` completes, in order. */
  *push(chunk: Uint8Array): Generator<Uint8Array, void, undefined> {
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(newline, start);
      const stop = end < 0 ? chunk.length : end;
      if (this.#pending + stop - start > this.#maxLineBytes) {
        throw new LineTooLongError(this.#maxLineBytes);
      }
      if (end < 0) {
        this.#pieces.push(chunk.slice(start));
        this.#pending += chunk.length - start;
        return;
      }
      const line = this.#pieces.length === 0
        ? chunk.subarray(start, end)
        : concatBytes([...this.#pieces, chunk.subarray(start, end)]);
      this.#pieces = [];
      this.#pending = 0;
      start = end + 1;
      if (line.length > 0) yield line;
    }
  }

  /** Checks that the bytes ended with a whole line; throws a {@linkcode WatchStreamError} if not. */
  end(): void {
    if (this.#pending > 0) {
      throw new WatchStreamError(
        `Cannot decode watch stream: it ended inside an event after ${this.#pending} bytes`,
      );
    }
  }
}

/** Options of {@linkcode decodeWatchEvents}. */
export interface DecodeOptions {
  /** Bound on one encoded event. Defaults to {@linkcode defaultMaxLineBytes}. */
  maxLineBytes?: number;
  /**
   * Aborting cancels `body` and ends decoding with the signal's reason, even
   * if `body` itself never ends or errors. A fetch body does not always do so
   * when the fetch's own signal aborts (Deno 2.9 leaves some reads of a busy
   * HTTP/2 stream pending), so a watch passes its signal here too.
   */
  signal?: AbortSignal;
  /**
   * Called for every chunk of bytes that arrives, whole events or not: the
   * sign that the server is still sending, for a caller's idle bound.
   */
  onData?: () => void;
}

const types = new Set<string>(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]);

/**
 * Yields the events of a watch response body. Throws a
 * {@linkcode WatchStreamError} for a protocol violation; ERROR events are
 * yielded like any other (the caller decides what a Status means). Breaking
 * out of the loop cancels the body, and so does `options.signal`.
 */
export async function* decodeWatchEvents<T>(
  body: ReadableStream<Uint8Array>,
  options: DecodeOptions = {},
): AsyncGenerator<WatchEvent<T>> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const splitter = new LineSplitter(options.maxLineBytes);
  const reading = options.signal ? { signal: options.signal } : {};
  for await (const chunk of bodyChunks(body, reading)) {
    options.onData?.();
    for (const line of splitter.push(chunk)) {
      const event = decodeEvent(decoder, line);
      // An abort while the consumer held the last event ends the stream before the next one.
      options.signal?.throwIfAborted();
      yield event as WatchEvent<T>;
    }
  }
  splitter.end();
}

/** The event `line` encodes; throws a {@linkcode WatchStreamError} if it is not one. */
function decodeEvent(decoder: TextDecoder, line: Uint8Array): WatchEvent<unknown> {
  let event: { type?: unknown; object?: unknown };
  try {
    event = JSON.parse(decoder.decode(line));
  } catch (cause) {
    throw new WatchStreamError(
      `Cannot decode watch stream: an event is not valid UTF-8 JSON: ${preview(line)}`,
      { cause },
    );
  }
  if (
    typeof event !== "object" || event === null || typeof event.type !== "string" ||
    !types.has(event.type) || typeof event.object !== "object" || event.object === null
  ) {
    throw new WatchStreamError(
      `Cannot decode watch stream: expected {"type","object"} with a known type, got ${
        preview(line)
      }`,
    );
  }
  return event as WatchEvent<unknown>;
}

function preview(line: Uint8Array): string {
  const text = new TextDecoder().decode(line.subarray(0, 200));
  return JSON.stringify(line.length > 200 ? `${text}...` : text);
}
