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
 * Splits a byte stream into lines (without the `\n`), refusing any line
 * longer than `maxLineBytes` with a {@linkcode LineTooLongError} as soon
 * as its first `maxLineBytes + 1` bytes arrived. A final
 * line without `\n` is refused too. Empty lines are dropped.
 */
export function splitLines(
  maxLineBytes: number = defaultMaxLineBytes,
): TransformStream<Uint8Array, Uint8Array> {
  if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
    throw new RangeError(
      cannot("split lines", "'maxLineBytes' must be a positive integer", maxLineBytes),
    );
  }
  // Pieces of the current, unfinished line; their total length is `pending`.
  let pieces: Uint8Array[] = [];
  let pending = 0;
  const tooLong = () => new LineTooLongError(maxLineBytes);
  return new TransformStream({
    transform(chunk, controller) {
      let start = 0;
      while (start < chunk.length) {
        const end = chunk.indexOf(newline, start);
        const stop = end < 0 ? chunk.length : end;
        if (pending + stop - start > maxLineBytes) throw tooLong();
        if (end < 0) {
          pieces.push(chunk.slice(start));
          pending += chunk.length - start;
          return;
        }
        const line = pieces.length === 0
          ? chunk.slice(start, end)
          : concat([...pieces, chunk.subarray(start, end)]);
        pieces = [];
        pending = 0;
        if (line.length > 0) controller.enqueue(line);
        start = end + 1;
      }
    },
    flush() {
      if (pending > 0) {
        throw new WatchStreamError(
          `Cannot decode watch stream: it ended inside an event after ${pending} bytes`,
        );
      }
    },
  });
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
  const lines = body.pipeThrough(
    splitLines(options.maxLineBytes),
    options.signal ? { signal: options.signal } : {},
  );
  for await (const line of lines) {
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
    // The pipe may hand over one more line after an abort; it is not an event any more.
    options.signal?.throwIfAborted();
    yield event as WatchEvent<T>;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function preview(line: Uint8Array): string {
  const text = new TextDecoder().decode(line.subarray(0, 200));
  return JSON.stringify(line.length > 200 ? `${text}...` : text);
}
