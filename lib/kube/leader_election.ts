/**
 * Leader election on a coordination.k8s.io/v1 Lease, with the semantics of
 * client-go's `tools/leaderelection` and its LeaseLock:
 *
 * - A candidate reads the Lease every retry period and takes it when it is
 *   free (no holder) or expired; it creates the Lease if there is none.
 *   Every write carries the resourceVersion that was read, so of two
 *   candidates racing for one Lease exactly one wins (the other gets 409).
 * - Expiry is judged by the local clock only: a holder's record counts as
 *   expired once it has not changed for the holder's `leaseDurationSeconds`
 *   since this process first saw it. `renewTime` is never compared with the
 *   local clock, so clock skew between machines does not matter.
 * - The leader renews every retry period. When no renewal succeeded for
 *   `renewDeadlineMs` (each API call is cut off at that deadline, so a hung
 *   API server cannot stretch it), or a renewal finds another holder,
 *   leadership is lost. As `renewDeadlineMs < leaseDurationMs`, a leader
 *   stops before any other candidate may consider the Lease expired.
 *
 * The caller's duties: the work started by
 * {@linkcode LeaderCallbacks.onStartedLeading} must stop promptly once its
 * signal aborts, since the Lease is not renewed while it winds down; and a
 * candidate whose {@linkcode LeaderElector.run} resolved after a loss must
 * call `run` again to campaign again.
 *
 * @module
 */

import type { Lease, LeaseSpec } from "kubernetes-types/coordination/v1.d.ts";
import { type Clock, realClock } from "../clock.ts";
import { leases, resourcePath } from "./resource.ts";
import type { RestClient } from "./rest.ts";
import { isAlreadyExists, isConflict, isNotFound } from "./status_error.ts";
import { boundedCall } from "./_bounded_call.ts";
import { checkedDurations, jitterFactor, microTime } from "./_leader_election_config.ts";
import { cannot } from "../cannot.ts";

/** Options of {@linkcode LeaderElector}; the default durations are client-go's. */
export interface LeaderElectorOptions {
  /** Client of the cluster holding the Lease. */
  rest: RestClient;
  /** Namespace of the Lease. */
  namespace: string;
  /** Name of the Lease. */
  name: string;
  /** This candidate's `holderIdentity`; unique per process, see {@linkcode defaultIdentity}. */
  identity: string;
  /** How long other candidates wait before taking an unrenewed Lease. Defaults to 15 000 ms. */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up. Defaults to 10 000 ms. */
  renewDeadlineMs?: number;
  /**
   * Pause between renewals, and least pause between attempts to acquire
   * (which add up to 1.2 times it at random, client-go's `JitterFactor`, so
   * that candidates started together spread out). Defaults to 2 000 ms.
   */
  retryPeriodMs?: number;
  /**
   * Give the Lease up when leadership ends, so others need not wait for it
   * to expire: as client-go's `ReleaseOnCancel`, whatever ended it, if the
   * last observation still names this candidate (a write guarded by the
   * resourceVersion, so it never clears another holder). Defaults to true.
   */
  releaseOnCancel?: boolean;
  /** Time source. Defaults to the real clock. */
  clock?: Clock;
  /**
   * Reports a failed read or write of the Lease (the elector retries by
   * itself), a rejected work and a throwing callback. Losing a race (409
   * Conflict or AlreadyExists) is not a failure and is not reported. It must
   * not throw; what it throws is ignored.
   */
  onError?: (error: unknown) => void;
}

/** What a candidate does as leader, for {@linkcode LeaderElector.run}. */
export interface LeaderCallbacks {
  /**
   * Starts the leader's work; `signal` aborts when leadership ends. Leadership
   * ends when the returned promise rejects (the error goes to `onError`),
   * and continues when it resolves.
   */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called once the work's promise settled and the Lease was released, if it was. */
  onStoppedLeading?: () => void;
  /** Called each time the observed holder changes, to this candidate too; "" when the Lease is free. */
  onNewLeader?: (identity: string) => void;
}

/** Campaigns for one Lease and runs the caller's work while it holds it. */
export class LeaderElector {
  readonly #rest: RestClient;
  readonly #namespace: string;
  readonly #name: string;
  readonly #identity: string;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #releaseOnCancel: boolean;
  readonly #clock: Clock;
  readonly #onError: ((error: unknown) => void) | undefined;
  #running = false;
  #isLeader = false;
  /** The Lease as last read or written: its resourceVersion guards the next write. */
  #lease: Lease | undefined;
  /** The Lease's spec as last observed, and when (local clock) it was first seen so. */
  #observed: LeaseSpec | undefined;
  #observedKey = "";
  #observedTime = 0;
  /** Start of the last successful acquire or renew attempt (local clock). */
  #lastRenew = 0;
  /** The last write was cut off unanswered: the server may hold it, unobserved here. */
  #writeCutOff = false;
  #reportedLeader: string | undefined;

  /**
   * Creates an elector; nothing is sent before {@linkcode LeaderElector.run}.
   * Throws a RangeError for a duration that is not positive and finite, a
   * `leaseDurationMs` not above `renewDeadlineMs`, a `renewDeadlineMs` not
   * above 1.2 times `retryPeriodMs`, or an empty `identity`, and a TypeError
   * for a `namespace` or `name` that is not a valid name.
   */
  constructor(options: LeaderElectorOptions) {
    const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = checkedDurations(options);
    if (!options.identity) {
      throw new RangeError(
        cannot("create leader elector", "'identity' must not be empty", options.identity),
      );
    }
    resourcePath(leases, { namespace: options.namespace, name: options.name });
    this.#rest = options.rest;
    this.#namespace = options.namespace;
    this.#name = options.name;
    this.#identity = options.identity;
    this.#leaseDurationMs = leaseDurationMs;
    this.#renewDeadlineMs = renewDeadlineMs;
    this.#retryPeriodMs = retryPeriodMs;
    this.#releaseOnCancel = options.releaseOnCancel ?? true;
    this.#clock = options.clock ?? realClock;
    this.#onError = options.onError;
  }

  /**
   * Whether this candidate leads: true from the acquisition until its work
   * settled after leadership ended, so while it is true the work may still
   * be acting as leader.
   */
  get isLeader(): boolean {
    return this.#isLeader;
  }

  /** The namespace of the Lease. */
  get namespace(): string {
    return this.#namespace;
  }

  /** The holder last observed on the Lease; "" when it is free, undefined before it was read. */
  get leader(): string | undefined {
    return this.#observed?.holderIdentity;
  }

  /**
   * False only while leading with the last successful renewal older than
   * `leaseDurationMs + toleranceMs`: the renew loop or the work's shutdown
   * is stuck, and a liveness probe should restart the process. This is
   * client-go's HealthzAdaptor check; the default tolerance of 20 000 ms is
   * the one kube-controller-manager uses.
   */
  healthy(toleranceMs = 20_000): boolean {
    if (!(Number.isFinite(toleranceMs) && toleranceMs >= 0)) {
      throw new RangeError(
        cannot(
          "check leader elector health",
          "'toleranceMs' must be a non-negative finite number",
          toleranceMs,
        ),
      );
    }
    if (!this.#isLeader) return true;
    return this.#clock.now() - this.#lastRenew <= this.#leaseDurationMs + toleranceMs;
  }

  /**
   * Campaigns until it acquires the Lease or `signal` aborts (then it
   * resolves without calling any callback but `onNewLeader`), then runs the
   * work and renews until leadership ends: by a loss, by the work rejecting,
   * or by `signal` aborting. It then aborts the work's signal, awaits the
   * work, releases the Lease if `releaseOnCancel` and it still holds it,
   * calls `onStoppedLeading` and resolves. It never rejects, except when
   * called while it runs.
   */
  async run(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<void> {
    if (this.#running) {
      throw new Error(`Cannot run the leader elector of lease ${this.#describe()} while it runs`);
    }
    this.#running = true;
    try {
      if (await this.#acquire(signal, callbacks)) await this.#lead(signal, callbacks);
    } finally {
      this.#running = false;
    }
  }

  async #acquire(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<boolean> {
    while (!signal.aborted) {
      const start = this.#clock.now();
      const acquired = await this.#tryAcquireOrRenew(signal, this.#renewDeadlineMs);
      if (acquired && !signal.aborted) {
        this.#lastRenew = start;
        return true;
      }
      this.#reportNewLeader(callbacks);
      if (acquired) break;
      const jittered = this.#retryPeriodMs * (1 + jitterFactor * Math.random());
      await this.#clock.sleep(jittered, signal).catch(() => {});
    }
    // The Lease may have been won just as `signal` aborted.
    if (this.#releaseOnCancel) await this.#release();
    return false;
  }

  async #lead(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<void> {
    this.#isLeader = true;
    this.#reportNewLeader(callbacks);
    const leading = new AbortController();
    const onAbort = () => leading.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    const work = (async () => await callbacks.onStartedLeading(leading.signal))().catch((error) => {
      this.#report(error);
      leading.abort(error);
    });
    try {
      const lost = await this.#renew(leading.signal, callbacks);
      if (lost) leading.abort(lost);
    } finally {
      signal.removeEventListener("abort", onAbort);
      await work;
      if (this.#releaseOnCancel) await this.#release();
      this.#isLeader = false;
      this.#call(() => callbacks.onStoppedLeading?.());
    }
  }

  /** Renews until `signal` aborts (returns undefined) or leadership is lost (returns why). */
  async #renew(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<Error | undefined> {
    const remaining = () => this.#lastRenew + this.#renewDeadlineMs - this.#clock.now();
    try {
      while (true) {
        await this.#clock.sleep(Math.min(this.#retryPeriodMs, remaining()), signal);
        while (true) {
          const left = remaining();
          if (left <= 0) {
            return new Error(
              `Lost lease ${this.#describe()} as no renewal succeeded within ${this.#renewDeadlineMs} ms`,
            );
          }
          const start = this.#clock.now();
          const renewed = await this.#tryAcquireOrRenew(signal, left);
          this.#reportNewLeader(callbacks);
          if (signal.aborted) return undefined;
          if (renewed) {
            this.#lastRenew = start;
            break;
          }
          const holder = this.#observed?.holderIdentity;
          if (holder && holder !== this.#identity) {
            return new Error(`Lost lease ${this.#describe()} to "${holder}"`);
          }
          await this.#clock.sleep(Math.min(this.#retryPeriodMs, remaining()), signal);
        }
      }
    } catch (error) {
      // Only the sleeps throw, and only when `signal` aborts.
      if (signal.aborted) return undefined;
      throw error;
    }
  }

  /** One attempt of client-go's tryAcquireOrRenew, bounded by `timeoutMs`. */
  async #tryAcquireOrRenew(signal: AbortSignal, timeoutMs: number): Promise<boolean> {
    try {
      return await boundedCall(
        this.#clock,
        signal,
        timeoutMs,
        `Lease ${this.#describe()}`,
        (callSignal) => this.#attempt(callSignal),
      );
    } catch (error) {
      if (!signal.aborted && !isConflict(error) && !isAlreadyExists(error)) this.#report(error);
      return false;
    }
  }

  async #attempt(signal: AbortSignal): Promise<boolean> {
    const now = this.#clock.now();
    // The leader first writes optimistically over the Lease it last saw,
    // which saves the read as long as nobody else wrote.
    if (
      this.#isLeader && this.#lease && this.#observed?.holderIdentity === this.#identity &&
      this.#leaseValid(now)
    ) {
      try {
        await this.#write(this.#lease, now, signal);
        return true;
      } catch (error) {
        if (signal.aborted) throw error;
        if (!isConflict(error)) this.#report(error);
      }
    }
    let current: Lease;
    try {
      current = await this.#rest.get<Lease>(leases, this.#name, {
        namespace: this.#namespace,
        signal,
      });
    } catch (error) {
      if (!isNotFound(error)) throw error;
      const created = await this.#writing(signal, () =>
        this.#rest.create<Lease>(leases, {
          metadata: { name: this.#name, namespace: this.#namespace },
          spec: this.#spec(microTime(now), now, 0),
        }, { signal }));
      this.#observe(created);
      return true;
    }
    this.#observe(current);
    const holder = current.spec?.holderIdentity;
    if (holder && holder !== this.#identity && this.#leaseValid(now)) return false;
    await this.#write(current, now, signal);
    return true;
  }

  /** Writes this candidate as holder over `lease`, keeping acquireTime and transitions if it held it. */
  async #write(lease: Lease, now: number, signal: AbortSignal): Promise<void> {
    const spec = lease.spec ?? {};
    const transitions = spec.leaseTransitions ?? 0;
    const held = spec.holderIdentity === this.#identity;
    const acquired = held && spec.acquireTime ? spec.acquireTime : microTime(now);
    const updated = await this.#writing(signal, () =>
      this.#rest.update<Lease>(leases, {
        ...lease,
        spec: { ...spec, ...this.#spec(acquired, now, held ? transitions : transitions + 1) },
      }, { signal }));
    this.#observe(updated);
  }

  /** Runs `write`, remembering whether `signal` cut it off before an answer came. */
  async #writing<T>(signal: AbortSignal, write: () => Promise<T>): Promise<T> {
    this.#writeCutOff = false;
    try {
      return await write();
    } catch (error) {
      this.#writeCutOff = signal.aborted;
      throw error;
    }
  }

  /**
   * Gives the Lease up if the last observation says this candidate holds it,
   * as client-go's release. A write cut off by the abort may still have
   * reached the server unobserved: then the Lease is read first, and on 409
   * it is read again; either way it is released only while it names this
   * candidate.
   */
  async #release(): Promise<void> {
    const cutOff = this.#writeCutOff;
    const last = this.#lease;
    if (!cutOff && (!last || this.#observed?.holderIdentity !== this.#identity)) return;
    const now = microTime(this.#clock.now());
    const read = (signal: AbortSignal) =>
      this.#rest.get<Lease>(leases, this.#name, { namespace: this.#namespace, signal });
    try {
      await boundedCall(
        this.#clock,
        undefined,
        this.#renewDeadlineMs,
        `Lease ${this.#describe()}`,
        async (signal) => {
          let lease = cutOff || !last ? await read(signal) : last;
          for (let attempt = 1;; attempt++) {
            if (lease.spec?.holderIdentity !== this.#identity) return;
            try {
              this.#observe(
                await this.#rest.update<Lease>(leases, {
                  ...lease,
                  spec: {
                    ...lease.spec,
                    holderIdentity: "",
                    leaseDurationSeconds: 1,
                    acquireTime: now,
                    renewTime: now,
                    leaseTransitions: lease.spec?.leaseTransitions ?? 0,
                  },
                }, { signal }),
              );
              return;
            } catch (error) {
              if (!isConflict(error) || attempt === 2) throw error;
            }
            lease = await read(signal);
          }
        },
      );
    } catch (error) {
      // NotFound: a create cut off before the server made the Lease; nothing to give up.
      if (!isConflict(error) && !isNotFound(error)) this.#report(error);
    } finally {
      this.#writeCutOff = false;
    }
  }

  #spec(acquireTime: string, now: number, leaseTransitions: number): LeaseSpec {
    return {
      holderIdentity: this.#identity,
      leaseDurationSeconds: Math.ceil(this.#leaseDurationMs / 1000),
      acquireTime,
      renewTime: microTime(now),
      leaseTransitions,
    };
  }

  /** Records `lease`; a spec that differs from the last one observed restarts its expiry. */
  #observe(lease: Lease): void {
    this.#lease = lease;
    const key = JSON.stringify(lease.spec ?? {});
    if (key === this.#observedKey) return;
    this.#observed = lease.spec ?? {};
    this.#observedKey = key;
    this.#observedTime = this.#clock.now();
  }

  /** Whether the observed record is within its holder's lease duration (ours if it states none). */
  #leaseValid(now: number): boolean {
    const seconds = this.#observed?.leaseDurationSeconds ?? 0;
    const durationMs = seconds > 0 ? seconds * 1000 : this.#leaseDurationMs;
    return this.#observedTime + durationMs > now;
  }

  #reportNewLeader(callbacks: LeaderCallbacks): void {
    const holder = this.#observed?.holderIdentity;
    if (holder === undefined || holder === this.#reportedLeader) return;
    this.#reportedLeader = holder;
    this.#call(() => callbacks.onNewLeader?.(holder));
  }

  #call(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.#report(error);
    }
  }

  #report(error: unknown): void {
    try {
      this.#onError?.(error);
    } catch {
      // onError must not throw; the elector goes on regardless.
    }
  }

  #describe(): string {
    return `${this.#namespace}/${this.#name}`;
  }
}

/**
 * A unique identity for this process, `<hostname>_<uuid>`, as client-go
 * users such as kube-controller-manager build it. Needs `--allow-sys=hostname`.
 */
export function defaultIdentity(): string {
  return `${Deno.hostname()}_${crypto.randomUUID()}`;
}
