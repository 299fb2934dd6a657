/**
 * Reads a response body as text without ever holding more than a bound:
 * chunks are counted as they arrive, and the first one that takes the
 * total past the bound cancels the body. Memory is bounded by the bound
 * plus one chunk, whatever the server sends and however long it sends it.
 *
 * @module
 */

import { bodyChunks } from "./_body_chunks.ts";
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
  // Each chunk is decoded as it arrives, in a buffer that is then read into again.
  const decoder = new TextDecoder();
  let text = "";
  let total = 0;
  for await (const chunk of bodyChunks(response.body)) {
    if (total + chunk.length > maxBytes) {
      if (!options.truncate) {
        throw new LimitExceededError({
          request,
          limit: "maxBytes",
          max: maxBytes,
          detail: `the body goes on after ${total + chunk.length} bytes`,
        });
      }
      text += decoder.decode(chunk.subarray(0, maxBytes - total), { stream: true });
      total = maxBytes;
      break;
    }
    text += decoder.decode(chunk, { stream: true });
    total += chunk.length;
  }
  return { text: text + decoder.decode(), bytes: total };
}
