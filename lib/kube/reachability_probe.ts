/**
 * Whether a server still answers while nothing else is heard from it.
 *
 * A partition that drops packets looks like an open, silent watch: no
 * error arrives, only nothing. So while nothing was heard from the server
 * for `intervalMs` (`lastHeardMs`: no byte of a watch, no answer), the
 * probe asks it `GET /version` with a short timeout, and goes on asking
 * every `intervalMs` while it stays silent; once a probe went unanswered,
 * every `lostIntervalMs` after the last one ended, so that a server that
 * comes back is known within about that. Any HTTP answer counts, a 403
 * included: the question is whether round trips succeed, not what the
 * caller may do (its lists and watches tell that).
 *
 * Contact is lost from the moment the first unanswered probe was sent,
 * and regained by any answer: a probe's, or a byte heard since that
 * moment. `onUnreachable` and `onReachable` are told once per change.
 *
 * @module
 */

import { type Clock, realClock } from "../clock.ts";
import { cannot } from "../cannot.ts";
import type { RestClient } from "./rest.ts";
import { StatusError } from "./status_error.ts";

/** Options of {@linkcode ReachabilityProbe}. */
export interface ReachabilityProbeOptions {
  /** The client of the server. */
  rest: RestClient;
  /** Clock time (ms) anything was last heard from the server, other than probes. */
  lastHeardMs(): number | undefined;
  /** How long the server may be silent before it is probed, and between probes. Defaults to 5 000 ms. */
  intervalMs?: number;
  /** Bound on a probe's answer. Defaults to 5 000 ms. */
  timeoutMs?: number;
  /** Pause between probes once one went unanswered. Defaults to 1 000 ms. */
  lostIntervalMs?: number;
  /** Told once when a probe got no answer, with why. */
  onUnreachable?(error: unknown): void;
  /** Told once when the server answered again after {@linkcode ReachabilityProbeOptions.onUnreachable}. */
  onReachable?(): void;
  /** Time source. Defaults to the real clock. */
  clock?: Clock;
}

/** Probes one server while it is silent. */
export class ReachabilityProbe {
  readonly #options: ReachabilityProbeOptions;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #lostIntervalMs: number;
  /** Send time of the first unanswered probe since the last answer. */
  #unansweredSinceMs: number | undefined;
  #lastAnswerMs: number | undefined;
  /** Whether `onUnreachable` was told last (and not `onReachable` since). */
  #toldLost = false;

  /** Creates the probe; nothing is sent before {@linkcode ReachabilityProbe.run}. */
  constructor(options: ReachabilityProbeOptions) {
    const { intervalMs = 5_000, timeoutMs = 5_000, lostIntervalMs = 1_000 } = options;
    const bounds = [
      ["intervalMs", intervalMs],
      ["timeoutMs", timeoutMs],
      ["lostIntervalMs", lostIntervalMs],
    ] as const;
    for (const [name, value] of bounds) {
      if (!(value > 0)) {
        throw new RangeError(cannot("create probe", `'${name}' must be a positive number`, value));
      }
    }
    this.#options = options;
    this.#clock = options.clock ?? realClock;
    this.#intervalMs = intervalMs;
    this.#timeoutMs = timeoutMs;
    this.#lostIntervalMs = lostIntervalMs;
  }

  /**
   * Clock time (ms) contact was lost: the send time of the first probe
   * that got no answer, unless the server was heard from since. Undefined
   * while it answers.
   */
  get lostSinceMs(): number | undefined {
    const since = this.#unansweredSinceMs;
    if (since === undefined) return undefined;
    const heard = this.#options.lastHeardMs();
    return heard !== undefined && heard >= since ? undefined : since;
  }

  /** Clock time (ms) of the last answered probe; undefined before. */
  get lastAnswerMs(): number | undefined {
    return this.#lastAnswerMs;
  }

  /** Probes whenever the server is silent, until `signal` aborts; never rejects. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.#settle();
      // Unanswered: ask again after a pause; else once silent for an interval.
      const dueMs = this.#unansweredSinceMs === undefined
        ? this.#lastHeardOrAnswerMs() + this.#intervalMs
        : this.#clock.now();
      if (this.#clock.now() >= dueMs) {
        await this.#probe(signal);
        if (signal.aborted) return;
      }
      const nextMs = this.#unansweredSinceMs === undefined
        ? this.#lastHeardOrAnswerMs() + this.#intervalMs
        : this.#clock.now() + this.#lostIntervalMs;
      try {
        await this.#clock.sleep(Math.max(nextMs - this.#clock.now(), 1), signal);
      } catch {
        return;
      }
    }
  }

  #lastHeardOrAnswerMs(): number {
    return Math.max(this.#options.lastHeardMs() ?? -Infinity, this.#lastAnswerMs ?? -Infinity);
  }

  /** A loss that bytes heard since have ended is over: told as such. */
  #settle(): void {
    if (this.#unansweredSinceMs === undefined || this.lostSinceMs !== undefined) return;
    this.#unansweredSinceMs = undefined;
    this.#regained();
  }

  async #probe(signal: AbortSignal): Promise<void> {
    const sentMs = this.#clock.now();
    try {
      await this.#options.rest.transport.json("/version", {
        signal,
        timeoutMs: this.#timeoutMs,
        maxBytes: 64 * 1024,
      });
    } catch (error) {
      if (signal.aborted) return;
      if (!(error instanceof StatusError)) return this.#unanswered(sentMs, error);
    }
    this.#lastAnswerMs = this.#clock.now();
    this.#unansweredSinceMs = undefined;
    this.#regained();
  }

  #unanswered(sentMs: number, error: unknown): void {
    this.#unansweredSinceMs ??= sentMs;
    if (this.#toldLost) return;
    this.#toldLost = true;
    this.#tell(() => this.#options.onUnreachable?.(error));
  }

  #regained(): void {
    if (!this.#toldLost) return;
    this.#toldLost = false;
    this.#tell(() => this.#options.onReachable?.());
  }

  #tell(call: () => void): void {
    try {
      call();
    } catch {
      // A failing listener must not stop the probe.
    }
  }
}
