/**
 * A bounded accept loop: takes connections from a listener and hands each
 * to the caller, never holding more than a set number open, and never
 * giving up on the listener.
 *
 * Properties:
 * - **Capped.** While `maxConnections` handed-out connections are open (not
 *   yet released by the caller), a newly accepted one is closed at once,
 *   before any byte is read or written: no TLS handshake, no parsing, one
 *   descriptor for a moment. Connections waiting in the kernel's backlog
 *   cost this process nothing.
 * - **Never fatal.** A failed accept (EMFILE or ENFILE when descriptors run
 *   out, ECONNABORTED, anything else) is retried after a backoff of 5 ms
 *   doubling to 1 s, reset by the next successful accept, as Go's
 *   `http.Server.Serve` does; the loop ends only when it is closed. While
 *   it backs off, new connections wait in the backlog and are taken once
 *   descriptors are free again.
 * - **Quiet under a flood.** Failures and refusals are reported through
 *   their callbacks at once the first time, then at most once per
 *   `reportIntervalMs` each, with how many happened since the last report.
 *
 * The caller's duty: call the `release` it was given exactly once when the
 * connection is closed (later calls do nothing), or the slot stays taken.
 *
 * @module
 */

import { type Clock, realClock } from "../clock.ts";
import { cannot } from "../cannot.ts";

/** What the loop needs of a listener; `Deno.Listener` is one. */
export interface Acceptor<C extends Deno.Conn = Deno.Conn> {
  accept(): Promise<C>;
  close(): void;
}

/** A report of failed accepts. */
export interface AcceptFailure {
  /** The latest failure. */
  error: unknown;
  /** Failures since the last report, this one included. */
  failures: number;
  /** How long the loop waits before accepting again, in ms. */
  retryInMs: number;
}

/** A report of connections closed because the cap was reached. */
export interface Refusal {
  /** Connections refused since the last report, this one included. */
  refused: number;
  /** The cap. */
  maxConnections: number;
}

/** Options of {@linkcode AcceptLoop}. */
export interface AcceptLoopOptions {
  /** Most connections handed out and not yet released; at least 1. */
  maxConnections: number;
  /** Told of failed accepts (see the module doc for how often). Must not throw. */
  onAcceptFailure?: (report: AcceptFailure) => void;
  /** Told of refused connections (see the module doc for how often). Must not throw. */
  onRefusal?: (report: Refusal) => void;
  /** Shortest time between two reports of one kind. Defaults to 10 s. */
  reportIntervalMs?: number;
  /** Time for backoff and report intervals. Defaults to the real clock. */
  clock?: Clock;
  /** Aborting closes the loop, as {@linkcode AcceptLoop.close} does. */
  signal?: AbortSignal;
}

/** Backoff after a failed accept: Go's `http.Server.Serve` numbers. */
const firstBackoffMs = 5;
const maxBackoffMs = 1_000;

/** Accepts from a listener until closed; see the module doc. */
export class AcceptLoop<C extends Deno.Conn = Deno.Conn> {
  readonly #acceptor: Acceptor<C>;
  readonly #handle: (conn: C, release: () => void) => void;
  readonly #max: number;
  readonly #clock: Clock;
  readonly #failures: Throttle<AcceptFailure>;
  readonly #refusals: Throttle<Refusal>;
  readonly #stop = new AbortController();
  #open = 0;
  readonly finished: Promise<void>;

  /**
   * Starts accepting from `acceptor`, handing each connection to `handle`
   * with its `release`. Throws a RangeError if `maxConnections` is not a
   * positive integer.
   */
  constructor(
    acceptor: Acceptor<C>,
    handle: (conn: C, release: () => void) => void,
    options: AcceptLoopOptions,
  ) {
    const { maxConnections, reportIntervalMs = 10_000, clock = realClock, signal } = options;
    if (!Number.isInteger(maxConnections) || maxConnections < 1) {
      throw new RangeError(
        cannot("accept connections", "'maxConnections' must be a positive integer", maxConnections),
      );
    }
    this.#acceptor = acceptor;
    this.#handle = handle;
    this.#max = maxConnections;
    this.#clock = clock;
    this.#failures = new Throttle(clock, reportIntervalMs, options.onAcceptFailure);
    this.#refusals = new Throttle(clock, reportIntervalMs, options.onRefusal);
    signal?.addEventListener("abort", () => this.close(), {
      once: true,
      signal: this.#stop.signal,
    });
    if (signal?.aborted) this.close();
    this.finished = this.#run();
  }

  /** Connections handed out and not yet released. */
  get open(): number {
    return this.#open;
  }

  /** Stops accepting and closes the listener; resolves with `finished`. Open connections stay. */
  close(): Promise<void> {
    if (!this.#stop.signal.aborted) {
      this.#stop.abort();
      try {
        this.#acceptor.close();
      } catch {
        // Already closed.
      }
    }
    return this.finished;
  }

  async #run(): Promise<void> {
    const stopped = this.#stop.signal;
    let backoffMs = 0;
    while (!stopped.aborted) {
      let conn: C;
      try {
        conn = await this.#acceptor.accept();
      } catch (error) {
        if (stopped.aborted) break;
        backoffMs = Math.min(maxBackoffMs, backoffMs === 0 ? firstBackoffMs : backoffMs * 2);
        this.#failures.add((failures) => ({ error, failures, retryInMs: backoffMs }));
        await this.#clock.sleep(backoffMs, stopped).catch(() => {});
        continue;
      }
      backoffMs = 0;
      if (stopped.aborted) {
        closeQuietly(conn);
        break;
      }
      this.#take(conn);
    }
  }

  #take(conn: C): void {
    if (this.#open >= this.#max) {
      closeQuietly(conn);
      this.#refusals.add((refused) => ({ refused, maxConnections: this.#max }));
      return;
    }
    this.#open++;
    let released = false;
    this.#handle(conn, () => {
      if (released) return;
      released = true;
      this.#open--;
    });
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/**
 * Reports the first event at once, then at most one per interval, each
 * report counting the events since the previous one. An event inside the
 * interval schedules nothing: it is reported with the next event after
 * the interval, so a flood that stops leaves at most its count untold.
 */
class Throttle<R> {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #report: ((report: R) => void) | undefined;
  #last = -Infinity;
  #count = 0;

  constructor(clock: Clock, intervalMs: number, report: ((report: R) => void) | undefined) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#report = report;
  }

  add(make: (count: number) => R): void {
    this.#count++;
    const now = this.#clock.now();
    if (now - this.#last < this.#intervalMs) return;
    this.#last = now;
    const count = this.#count;
    this.#count = 0;
    try {
      this.#report?.(make(count));
    } catch {
      // Reports must not throw; one that does must not stop the loop.
    }
  }
}
