/**
 * Which kinds of host write (a verb on a resource) the host refuses for
 * want of a permission, as an observer of the Reflector. A kind is denied
 * from the first refusal the applier tells (`onWriteDenied`, a 401 or a
 * 403) until a write of that kind is accepted again (`onWrite`): RBAC is
 * decided per request, so an accepted write is the only sign that a
 * permission was granted back.
 *
 * The command shows each denied kind on `/readyz?verbose` and logs each
 * change once (`onChange`); the metrics count every refusal.
 *
 * @module
 */

import { type Clock, realClock } from "../clock.ts";
import type { StatusError } from "../kube/status_error.ts";
import type { Write } from "./applier.ts";
import type { ReflectorObserver } from "./observer.ts";

/** One kind of write the host refuses. */
export interface Denial {
  /** The verb refused. */
  readonly verb: Write["verb"];
  /** The resource it was refused on, e.g. `endpointslices`. */
  readonly resource: string;
  /** The code of the last refusal: 401 or 403. */
  readonly code: number;
  /** Refusals since the first one. */
  readonly count: number;
  /** Clock time of the first refusal. */
  readonly sinceMs: number;
  /** `namespace/name` of the object of the last refusal. */
  readonly key: string;
  /** The host's message of the last refusal. */
  readonly message: string;
}

/** Options of {@linkcode DeniedWrites}. */
export interface DeniedWritesOptions {
  /** Time source of {@linkcode Denial.sinceMs}. Defaults to the real clock. */
  clock?: Clock;
  /**
   * Told once when a kind becomes denied (`denied` true, with its first
   * refusal), and once when a write of it is accepted again (false, with
   * the last state). Called on the Reflector's paths: cheap, never throwing.
   */
  onChange?(denial: Denial, denied: boolean): void;
}

/** The kinds of host write refused so far and not accepted since. */
export class DeniedWrites implements Pick<ReflectorObserver, "onWrite" | "onWriteDenied"> {
  readonly #denials = new Map<string, Denial>();
  readonly #clock: Clock;
  readonly #onChange: DeniedWritesOptions["onChange"];

  /** Creates a tracker with nothing denied. */
  constructor(options: DeniedWritesOptions = {}) {
    this.#clock = options.clock ?? realClock;
    this.#onChange = options.onChange;
  }

  /** The denied kinds, by resource then verb. */
  get denials(): readonly Denial[] {
    return [...this.#denials.values()].sort((a, b) =>
      a.resource === b.resource ? compare(a.verb, b.verb) : compare(a.resource, b.resource)
    );
  }

  /** A write of `write`'s kind was accepted: that kind is no longer denied. */
  onWrite(write: Write): void {
    const id = kindOf(write);
    const denial = this.#denials.get(id);
    if (!denial) return;
    this.#denials.delete(id);
    this.#onChange?.(denial, false);
  }

  /** A write of `write`'s kind was refused with `error` (401 or 403). */
  onWriteDenied(write: Write, error: StatusError): void {
    const id = kindOf(write);
    const before = this.#denials.get(id);
    const denial: Denial = {
      verb: write.verb,
      resource: write.resource,
      code: error.code,
      count: (before?.count ?? 0) + 1,
      sinceMs: before?.sinceMs ?? this.#clock.now(),
      key: write.key,
      message: error.status.message ?? "",
    };
    this.#denials.set(id, denial);
    if (!before) this.#onChange?.(denial, true);
  }

  /** Forgets every denial, untold (a Reflector's term ended: its writes are no longer tried). */
  clear(): void {
    this.#denials.clear();
  }
}

/**
 * `denial` as a `/readyz?verbose` line says it, e.g. `denied (403
 * Forbidden) 3 times since 12s ago, last for shop/web: the host role
 * lacks this permission`. `nowMs` is the clock time the age is measured from.
 */
export function describeDenial(denial: Denial, nowMs: number): string {
  const age = Math.max(0, Math.round((nowMs - denial.sinceMs) / 1000));
  const code = denial.code === 401 ? "401 Unauthorized" : `${denial.code} Forbidden`;
  const times = denial.count === 1 ? "once" : `${denial.count} times`;
  const why = denial.code === 401
    ? "the host does not accept the credentials"
    : "the host role lacks this permission";
  return `denied (${code}) ${times} since ${age}s ago, last for ${denial.key}: ${why}`;
}

function kindOf(write: Write): string {
  return `${write.verb} ${write.resource}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
