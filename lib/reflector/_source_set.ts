/**
 * The Reflector's sources as a set that may change while it runs: sources
 * are added, removed and changed by {@linkcode SourceSet.update}, each
 * running on its own signal, so that one source's start or stop never
 * touches another.
 *
 * Which sources count (their objects make the mirrors) follows three rules:
 * - a running source counts, synced or not (an unsynced one keeps its part
 *   of the host as it is, see the Reflector);
 * - a removed source is stopped at once but still counts, with the cache it
 *   had, for the remove grace; then it is retired: it no longer counts, and
 *   `onRetired` tells which keys its part of the host bears on;
 * - a changed source (same name, other options) is stopped and replaced by
 *   a new one at once; until the new one has synced, the old one counts in
 *   its place with the cache it had (so a restart changes no mirror: not
 *   a port of a merged mirror, not the winner of a conflict), and then
 *   `onSynced` tells which one it replaced, to be looked at again. A
 *   source added back inside its grace replaces the removed one the same way.
 *
 * The set also owns each source's staleness: a synced source unreachable
 * for `staleAfterMs`, counted from the loss of contact (never from its last
 * event: a quiet source is not an unreachable one), is stale until it is
 * reached again. Staleness belongs to one running source: a restarted
 * source is judged afresh, and a removed one stays as it was until retired.
 *
 * @module
 */

import { type Clock, realClock } from "../clock.ts";
import type { Source } from "./source.ts";
import { type SourceConfig, sourceFingerprint } from "./source_config.ts";

/** Options of {@linkcode SourceSet}. */
export interface SourceSetOptions {
  /** Makes the running source of `config`. */
  make(config: SourceConfig): Source;
  /** How long a removed source still counts; 0 retires it at once. */
  removeGraceMs: number;
  /**
   * Told once a source has synced, with the stopped source of the same
   * name it replaced, if any, which no longer counts from now on.
   */
  onSynced(source: Source, replaced: Source | undefined): void;
  /** Told once a removed source no longer counts. */
  onRetired(source: Source): void;
  /** Told of a source replaced before it synced: it never counted. */
  onDiscarded?(source: Source): void;
  /** A synced source unreachable this long is stale; omitted or 0: never. */
  staleAfterMs?: number;
  /** Told when a source becomes stale, or fresh again. */
  onStale?(source: Source, stale: boolean): void;
  /** Time source of the grace and the staleness. */
  clock?: Clock;
}

/** What one {@linkcode SourceSet.update} changed, by source name. */
export interface SourceChanges {
  /** Sources started that were not there. */
  readonly added: readonly string[];
  /** Sources stopped, retired after the grace. */
  readonly removed: readonly string[];
  /** Sources restarted with other options. */
  readonly changed: readonly string[];
}

/** A source the set started, with what stops it. */
interface Member {
  readonly source: Source;
  /** What its options say, to tell a changed source from an unchanged one. */
  readonly fingerprint: string;
  readonly stop: AbortController;
  /** The stopped source it replaced, counted in its place until it has synced. */
  predecessor: Source | undefined;
}

/** The sources of one Reflector. */
export class SourceSet {
  readonly #options: SourceSetOptions;
  /** The running sources, by name, in the order they were added. */
  readonly #running = new Map<string, Member>();
  /** Removed sources inside their grace, by name, with what ends the grace early. */
  readonly #retiring = new Map<string, { source: Source; cancel: AbortController }>();
  /** Every source's run, for `run` to wait on. */
  readonly #tasks = new Set<Promise<void>>();
  /** The signal of `run`, once it was called: sources start only under it. */
  #signal: AbortSignal | undefined;
  /** Rejects with the first failure of a source's run (a bug, e.g. a throwing observer). */
  readonly #failure = Promise.withResolvers<never>();
  /** The sources that are stale now, running or retiring. */
  readonly #stale = new Set<Source>();

  /** Creates the set holding `initial`, which start with {@linkcode SourceSet.run}. */
  constructor(initial: readonly SourceConfig[], options: SourceSetOptions) {
    this.#options = options;
    this.#failure.promise.catch(() => {}); // surfaced by run()
    this.update(initial);
  }

  /** The running sources, in the order added. */
  get running(): Source[] {
    return [...this.#running.values()].map((member) => member.source);
  }

  /**
   * The sources whose objects count: each running one (or, until it has
   * synced, the source it replaced), then the removed ones inside their
   * grace. Names are unique.
   */
  get counted(): Source[] {
    const running = [...this.#running.values()].map(({ source, predecessor }) =>
      predecessor && !source.synced ? predecessor : source
    );
    return [...running, ...this.#retiringSources()];
  }

  /** The sources to tell of: the running ones, then the removed ones inside their grace. */
  get listed(): Source[] {
    return [...this.running, ...this.#retiringSources()];
  }

  #retiringSources(): Source[] {
    return [...this.#retiring.values()].map((each) => each.source);
  }

  /** Whether `name` was removed and is inside its grace. */
  retiring(name: string): boolean {
    return this.#retiring.has(name);
  }

  /** Whether `source` is stale: its endpoints are to be withdrawn. */
  stale(source: Source): boolean {
    return this.#stale.has(source);
  }

  /**
   * Makes the set hold exactly `wanted` (unique names): starts the new
   * sources, restarts the changed ones, and stops the ones not wanted,
   * which are retired after the grace. Unchanged sources go on untouched.
   */
  update(wanted: readonly SourceConfig[]): SourceChanges {
    const names = new Set(wanted.map((options) => options.name));
    const removed: string[] = [];
    for (const [name, member] of this.#running) {
      if (names.has(name)) continue;
      this.#retire(member);
      removed.push(name);
    }
    const added: string[] = [];
    const changed: string[] = [];
    for (const options of wanted) {
      const fingerprint = sourceFingerprint(options);
      const member = this.#running.get(options.name);
      if (member?.fingerprint === fingerprint) continue;
      let replaced: Source | undefined;
      if (member) {
        member.stop.abort();
        // A source replaced before it synced hands on what it stood in for.
        replaced = member.source.synced ? member.source : member.predecessor ?? member.source;
        if (replaced !== member.source) this.#discard(member.source);
        else this.#stale.delete(replaced);
        changed.push(options.name);
      } else {
        added.push(options.name);
      }
      const retiring = this.#retiring.get(options.name);
      if (retiring) {
        this.#retiring.delete(options.name);
        retiring.cancel.abort();
        replaced = retiring.source;
        this.#stale.delete(replaced);
      }
      this.#add(options, fingerprint, replaced);
    }
    return { added, removed, changed };
  }

  /**
   * Runs every source, and each one added later, until `signal` aborts;
   * resolves once all stopped.
   *
   * @throws The first failure of a source's run, once all stopped.
   */
  async run(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    for (const member of this.#running.values()) this.#start(member, signal);
    const aborted = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener("abort", () => resolve(), { once: true });
    });
    const { staleAfterMs = 0 } = this.#options;
    if (staleAfterMs > 0) this.#track(this.#judgeStaleness(staleAfterMs, signal));
    try {
      await Promise.race([aborted, this.#failure.promise]);
    } finally {
      for (const member of this.#running.values()) member.stop.abort();
      for (const { cancel } of this.#retiring.values()) cancel.abort();
      while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
    }
  }

  #add(options: SourceConfig, fingerprint: string, replaced: Source | undefined): void {
    const source = this.#options.make(options);
    const member: Member = {
      source,
      fingerprint,
      stop: new AbortController(),
      predecessor: replaced,
    };
    source.onSynced(() => {
      if (this.#running.get(source.name) !== member) return;
      member.predecessor = undefined;
      this.#options.onSynced(source, replaced);
    });
    this.#running.set(options.name, member);
    if (this.#signal) this.#start(member, this.#signal);
  }

  /** Runs `member` until it is stopped or the set's run ends. */
  #start(member: Member, runSignal: AbortSignal): void {
    this.#track(member.source.run(AbortSignal.any([runSignal, member.stop.signal])));
  }

  /** Stops `member` now; it counts until the grace ends (or the run stops), then it is retired. */
  #retire(member: Member): void {
    const { source } = member;
    member.stop.abort();
    this.#running.delete(source.name);
    const cancel = new AbortController();
    this.#retiring.set(source.name, { source, cancel });
    const ended = () => {
      if (this.#retiring.get(source.name)?.source !== source) return;
      this.#retiring.delete(source.name);
      this.#stale.delete(source);
      this.#options.onRetired(source);
    };
    const { removeGraceMs } = this.#options;
    if (removeGraceMs <= 0) return ended();
    const clock = this.#options.clock ?? realClock;
    const signals = [cancel.signal, ...(this.#signal ? [this.#signal] : [])];
    // The sleep rejects only when the grace is cut short: by the source's
    // return, or by the run's end, after which nothing is written anyway.
    this.#track(clock.sleep(removeGraceMs, AbortSignal.any(signals)).then(ended, () => {}));
  }

  /** Forgets `source`, replaced before it synced. */
  #discard(source: Source): void {
    this.#stale.delete(source);
    this.#options.onDiscarded?.(source);
  }

  /**
   * Until `signal` aborts, marks a synced running source stale once it has
   * been unreachable for `staleAfterMs` since contact was lost, and fresh
   * once it is reached; each change is told. Checked four times per
   * `staleAfterMs`, at most once a second.
   */
  async #judgeStaleness(staleAfterMs: number, signal: AbortSignal): Promise<void> {
    const clock = this.#options.clock ?? realClock;
    while (!signal.aborted) {
      try {
        await clock.sleep(Math.min(1_000, staleAfterMs / 4), signal);
      } catch {
        return; // sleep() rejects only when `signal` aborts.
      }
      for (const source of this.running) {
        const { connected, lostSinceMs } = source.health;
        const stale = source.synced && !connected && lostSinceMs !== undefined &&
          clock.now() - lostSinceMs >= staleAfterMs;
        if (stale === this.#stale.has(source)) continue;
        if (stale) this.#stale.add(source);
        else this.#stale.delete(source);
        this.#options.onStale?.(source, stale);
      }
    }
  }

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    task.then(
      () => this.#tasks.delete(task),
      (error) => {
        this.#tasks.delete(task);
        this.#failure.reject(error);
      },
    );
  }
}
