/**
 * The client-side bounds of one watch, since a server's `timeoutSeconds`
 * is only a promise: an answer (the response's headers) within
 * `openTimeoutMs`, then a byte at least every `idleMs`, and an end within
 * `deadlineMs` of the start. The first bound to pass aborts
 * {@linkcode Watchdog.signal} with a {@linkcode WatchTimeoutError}.
 *
 * Hearing costs one clock reading; the timer is a single sleep re-armed
 * when it wakes (hearing only moves a bound later) and when the watch
 * opens (the idle bound may end sooner than the open one), so a busy
 * stream does not churn timers.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import { type WatchBound, WatchTimeoutError } from "./watch_timeout_error.ts";

/** Options of {@linkcode Watchdog}. */
export interface WatchdogOptions {
  /** The watch, for the error's message. */
  request: string;
  /** Bound on the wait for the server's answer. */
  openTimeoutMs: number;
  /** Bound on silence once the watch is open. */
  idleMs: number;
  /** Bound on the whole watch. */
  deadlineMs: number;
  /** Time source. */
  clock: Clock;
}

/** Watches one watch; call {@linkcode Watchdog.stop} once it ended. */
export class Watchdog {
  readonly #options: WatchdogOptions;
  readonly #timedOut = new AbortController();
  readonly #stopped = new AbortController();
  readonly #startMs: number;
  #lastHeardMs: number;
  #open = false;
  /** Ends the current sleep early, for the bounds to be looked at again. */
  #rearm = new AbortController();

  /** Starts the bounds now. */
  constructor(options: WatchdogOptions) {
    this.#options = options;
    this.#startMs = options.clock.now();
    this.#lastHeardMs = this.#startMs;
    void this.#guard();
  }

  /** Aborts, with a {@linkcode WatchTimeoutError}, once a bound passed. */
  get signal(): AbortSignal {
    return this.#timedOut.signal;
  }

  /** The server answered: from now on the idle bound applies. */
  opened(): void {
    this.#open = true;
    this.heard();
    this.#rearm.abort();
  }

  /** Bytes arrived. */
  heard(): void {
    this.#lastHeardMs = this.#options.clock.now();
  }

  /** Ends the watching; no bound passes after this. */
  stop(): void {
    this.#stopped.abort();
  }

  async #guard(): Promise<void> {
    const { clock, openTimeoutMs, idleMs, deadlineMs } = this.#options;
    const deadline = this.#startMs + deadlineMs;
    while (!this.#stopped.signal.aborted) {
      const quietMs = this.#open ? idleMs : openTimeoutMs;
      const quietEnd = this.#lastHeardMs + quietMs;
      const now = clock.now();
      if (now >= deadline) return this.#timeout("deadline", deadlineMs);
      if (now >= quietEnd) return this.#timeout(this.#open ? "idle" : "open", quietMs);
      this.#rearm = new AbortController();
      try {
        const wake = AbortSignal.any([this.#stopped.signal, this.#rearm.signal]);
        await clock.sleep(Math.min(deadline, quietEnd) - now, wake);
      } catch {
        // Stopped, or re-armed: the loop looks again.
      }
    }
  }

  #timeout(bound: WatchBound, ms: number): void {
    this.#timedOut.abort(new WatchTimeoutError({ request: this.#options.request, bound, ms }));
  }
}
