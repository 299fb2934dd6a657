/**
 * What a server sent exceeded a bound the client set on it: a list longer
 * than its page or object cap, a response body or watch event larger than
 * its byte cap, a cache holding more objects than allowed. The client stops
 * reading at the bound, so a server that never stops sending costs at most
 * the bound in memory.
 *
 * The error names the request, the option that set the bound and its
 * value, so callers can say which knob to turn; they classify it by
 * `limit`, never by message text.
 *
 * @module
 */

/** The options of lib/kube that bound what a server may send. */
export type LimitName =
  | "maxBytes"
  | "maxListPages"
  | "maxListBytes"
  | "maxListItems"
  | "maxLineBytes"
  | "maxObjects";

/** Options of {@linkcode LimitExceededError}. */
export interface LimitExceededOptions extends ErrorOptions {
  /** The request that sent too much, e.g. `GET https://host/api/v1/services?limit=500`. */
  request: string;
  /** The option whose bound was exceeded. */
  limit: LimitName;
  /** Its value. */
  max: number;
  /** What went past it, e.g. `the list goes on after 5 pages`. */
  detail: string;
}

/** A server sent more than a bound allows; reading stopped at the bound. */
export class LimitExceededError extends Error {
  /** The request that sent too much. */
  readonly request: string;
  /** The option whose bound was exceeded. */
  readonly limit: LimitName;
  /** Its value. */
  readonly max: number;

  /** The message is `<request> exceeds '<limit>' of <max>: <detail>`. */
  constructor(options: LimitExceededOptions) {
    const { request, limit, max, detail, ...errorOptions } = options;
    super(`${request} exceeds '${limit}' of ${max}: ${detail}`, errorOptions);
    this.name = "LimitExceededError";
    this.request = request;
    this.limit = limit;
    this.max = max;
  }
}
