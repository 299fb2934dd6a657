/**
 * The error of a watch that the client ended because one of its bounds
 * passed: the server did not answer, the stream went silent, or it
 * outlived the duration asked for. A partition that drops packets shows
 * up as any of these, never as an error of the connection itself.
 *
 * @module
 */

/** Which bound of a watch passed. */
export type WatchBound = "open" | "idle" | "deadline";

/** Options of {@linkcode WatchTimeoutError}. */
export interface WatchTimeoutErrorOptions {
  /** The watch, e.g. `WATCH https://host/api/v1/services?watch=true`. */
  request: string;
  /** The bound that passed. */
  bound: WatchBound;
  /** The bound, in ms. */
  ms: number;
}

/** A watch ended by the client at one of its bounds; it is taken as broken and started again. */
export class WatchTimeoutError extends Error {
  /** The watch. */
  readonly request: string;
  /** The bound that passed. */
  readonly bound: WatchBound;
  /** The bound, in ms. */
  readonly ms: number;

  /** Creates the error of `options.request` for the bound that passed. */
  constructor(options: WatchTimeoutErrorOptions) {
    const { request, bound, ms } = options;
    const seconds = `${Math.round(ms / 100) / 10} s`;
    const what = {
      open: `got no answer within ${seconds}`,
      idle: `received nothing for ${seconds}, so it is taken as broken`,
      deadline: `was still open ${seconds} after it began, past its own timeout`,
    }[bound];
    super(`${request} ${what}`);
    this.name = "WatchTimeoutError";
    this.request = request;
    this.bound = bound;
    this.ms = ms;
  }
}
