/**
 * Reads a response body as text without ever holding more than a bound:
 * chunks are counted as they arrive, and the first one that takes the
 * total past the bound cancels the body. Memory is bounded by the bound
 * plus one chunk, whatever the server sends and however long it sends it.
 *
 * @module
 */

import { LimitExceededError } from "./limit_error.ts";

/** Options of {@linkcode readBoundedText}. */
export interface BoundedReadOptions {
  /** Most bytes read; more throws (or truncates, with `truncate`). */
  maxBytes: number;
  /** Names the request in the error, e.g. `GET https://host/api/v1/services`. */
  request: string;
  /** Return the first `maxBytes` bytes instead of throwing. */
  truncate?: boolean;
}

/**
 * The body of `response` as UTF-8 text, at most `maxBytes` bytes of it,
 * and how many bytes it was.
 *
 * @throws {LimitExceededError} With `limit: "maxBytes"` once the body goes
 * past `maxBytes` (unless `truncate`); the body is cancelled first.
 */
export async function readBoundedText(
  response: Response,
  options: BoundedReadOptions,
): Promise<{ text: string; bytes: number }> {
  const { maxBytes, request } = options;
  if (!response.body) return { text: "", bytes: 0 };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (total + value.length > maxBytes) {
        await reader.cancel().catch(() => {});
        if (options.truncate) {
          chunks.push(value.subarray(0, maxBytes - total));
          total = maxBytes;
          break;
        }
        throw new LimitExceededError({
          request,
          limit: "maxBytes",
          max: maxBytes,
          detail: `the body goes on after ${total + value.length} bytes`,
        });
      }
      chunks.push(value);
      total += value.length;
    }
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return { text: new TextDecoder().decode(bytes), bytes: total };
}
