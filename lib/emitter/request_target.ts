/**
 * The path and query of a request as kube-apiserver's Go server sees them:
 * taken from the request target as sent (no `.` or `..` resolution, empty
 * segments kept, `#` part of the path), with the path percent-decoded
 * whole (so `%2F` becomes a separator). A malformed escape is refused with
 * Go's plain `400 Bad Request`.
 *
 * @module
 */

import { PlainTextError } from "./status.ts";

/** A decoded request target. */
export interface RequestTarget {
  /** The decoded path, e.g. `/api/v1/services`. */
  path: string;
  /** The query parameters. */
  params: URLSearchParams;
}

const decoder = new TextDecoder();

/** Splits and decodes the target of `url` (a request's URL, as `Deno.serve` gives it). Throws PlainTextError. */
export function requestTarget(url: string): RequestTarget {
  const authority = url.indexOf("://");
  const start = url.indexOf("/", authority < 0 ? 0 : authority + 3);
  const target = start < 0 ? "/" : url.slice(start);
  const question = target.indexOf("?");
  const rawPath = question < 0 ? target : target.slice(0, question);
  const query = question < 0 ? "" : target.slice(question + 1);
  return { path: decodePath(rawPath), params: new URLSearchParams(query) };
}

function decodePath(raw: string): string {
  if (!raw.includes("%")) return raw;
  if (/%(?![0-9A-Fa-f]{2})/.test(raw)) throw new PlainTextError(400, "400 Bad Request");
  // Escapes decode to bytes; the bytes, not each escape, are UTF-8.
  const bytes: number[] = [];
  const text = new TextEncoder();
  for (let index = 0; index < raw.length;) {
    if (raw[index] === "%") {
      bytes.push(parseInt(raw.slice(index + 1, index + 3), 16));
      index += 3;
    } else {
      const codePoint = raw.codePointAt(index) as number;
      const char = String.fromCodePoint(codePoint);
      bytes.push(...text.encode(char));
      index += char.length;
    }
  }
  return decoder.decode(new Uint8Array(bytes));
}
