/**
 * Reads a response body into buffers this module owns and reuses.
 *
 * Read with a default reader, a fetch body hands out every chunk in a
 * fresh 64 KiB array buffer, however few bytes it holds: a 1 KiB answer
 * or one watch event costs 64 KiB outside the V8 heap until a collection
 * frees it, which at a few hundred requests a second is tens of MiB of
 * resident memory. A bring-your-own-buffer read fills a buffer from a
 * small pool instead, and the buffer goes back to the pool when the body
 * ends or the consumer stops.
 *
 * Invariant: a buffer is in the pool only while no read can still write
 * into it. After an abort or a failed read the body's own read may still
 * be pending on it, so that buffer is dropped, not pooled.
 *
 * @module
 */

/** Size of each pooled buffer, and so the most bytes one read returns. */
export const chunkBytes = 16 * 1024;

/** Most buffers kept for reuse; more readers at once allocate, and drop theirs after. */
const maxPooled = 32;
const pool: ArrayBuffer[] = [];

/** Options of {@linkcode bodyChunks}. */
export interface BodyChunksOptions {
  /** Aborting cancels the body and ends the reading with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Yields the chunks of `body`. Each chunk is valid only until the next
 * step of the iteration (its buffer is read into again), so a consumer
 * decodes or copies it first. Stopping early cancels the body.
 */
export async function* bodyChunks(
  body: ReadableStream<Uint8Array>,
  options: BodyChunksOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const { signal } = options;
  signal?.throwIfAborted();
  const reader = byobReader(body);
  const plain = reader ? undefined : body.getReader();
  let buffer = reader ? pool.pop() ?? new ArrayBuffer(chunkBytes) : undefined;
  const cancel = () => (reader ?? plain)?.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", cancel, { once: true });
  let reading = false;
  let ended = false;
  try {
    while (true) {
      reading = true;
      const { done, value } = reader && buffer
        ? await reader.read(new Uint8Array(buffer))
        : await (plain as ReadableStreamDefaultReader<Uint8Array>).read();
      signal?.throwIfAborted();
      reading = false;
      // The read transferred the buffer; its result views the same memory.
      if (reader && value) buffer = value.buffer as ArrayBuffer;
      if (done) {
        ended = true;
        return;
      }
      if (value.length > 0) yield value;
    }
  } finally {
    signal?.removeEventListener("abort", cancel);
    if (!ended) await (reader ?? plain)?.cancel().catch(() => {});
    (reader ?? plain)?.releaseLock();
    // A detached buffer (a read took it and gave nothing back) has no bytes left.
    if (buffer?.byteLength === chunkBytes && !reading && pool.length < maxPooled) pool.push(buffer);
  }
}

/** A bring-your-own-buffer reader of `body`, or undefined when it is not a byte stream. */
function byobReader(body: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | undefined {
  try {
    return body.getReader({ mode: "byob" });
  } catch (error) {
    if (error instanceof TypeError) return undefined;
    throw error;
  }
}
