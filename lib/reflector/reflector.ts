/**
 * The Reflector: keeps, in the host cluster, a selector-less mirror Service
 * plus EndpointSlices for every Service its sources export.
 *
 * Data flows one way: source informers and host informers turn every change
 * into a key (`namespace/name`) on one rate-limited queue; workers reconcile
 * a key by computing the desired mirror from the sources' caches
 * (`desired.ts`), deciding the key's outcome, and handing the mirror to the
 * applier, which writes the difference (`applier.ts`). Garbage collection
 * is the same path: every mirror the host holds is queued at start, and a
 * key no source exports is deleted, but only once every source has synced,
 * so a source that is down never costs its mirrors.
 *
 * What the Reflector does is told to one {@linkcode ReflectorObserver}
 * (`observer.ts`): attempts, writes, conflicts, failures it recovers from.
 *
 * @module
 */

import type { Endpoints, Namespace, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { runController } from "../controller/controller.ts";
import { done, type Outcome, requeueAfter, terminal } from "../controller/reconcile.ts";
import { type Clock, realClock } from "../clock.ts";
import type { Informer, InformerPhase } from "../kube/informer.ts";
import { type KubeObject, objectKey, sliceServiceKeys, splitObjectKey } from "../kube/object.ts";
import {
  endpoints,
  endpointSlices,
  namespaces,
  type ResourceType,
  services,
} from "../kube/resource.ts";
import type { RestClient } from "../kube/rest.ts";
import { RateLimitingQueue } from "../workqueue/rate_limiting_queue.ts";
import {
  endpointSliceControllerName,
  endpointSliceManagedByLabel,
  isReflected,
  managedByLabel,
  managedByValue,
  sliceSource,
} from "../ownership.ts";
import { keyedInformer, type KeyedInformerOptions, sliceIndexers } from "./_informers.ts";
import { Applier, type ApplyResult, type NameClash, NameTakenError } from "./applier.ts";
import { desiredMirror, type MergeConflict } from "./desired.ts";
import { EventRecorder, serviceReference } from "./events.ts";
import { withdrawnEndpoints } from "./_stale.ts";
import type { StaleAction } from "./stale_action.ts";
import { fanOut, type ReflectorObserver } from "./observer.ts";
import { invalidObjectEvents } from "./_invalid_object_events.ts";
import { Source } from "./source.ts";
import type { SourceConfig } from "./source_config.ts";
import { type SourceChanges, SourceSet } from "./_source_set.ts";
import { type NameClaim, settleClaims, type SettledClaims } from "./_name_claims.ts";
import { MirrorNaming } from "./mirror_names.ts";
import { hostServiceShape } from "./_host_service_shape.ts";
import type { SourceState } from "./source_state.ts";

export type { SourceState } from "./source_state.ts";

/** Options of {@linkcode Reflector}. */
export interface ReflectorOptions {
  /** Client of the host cluster. */
  host: RestClient;
  /**
   * The sources, with unique names (the caller's duty: a name is the label
   * value that tells one source's slices from another's; the command checks
   * it once, where the names are made, in `lib/cli/_sources.ts`).
   */
  sources: SourceConfig[];
  /**
   * How long a source removed by {@linkcode Reflector.updateSources} still
   * counts, with what it last had, before its part of the host goes.
   * Defaults to 0.
   */
  removeGraceMs?: number;
  /**
   * How mirrors are named (`mirror_names.ts`): `{name}` (the default)
   * merges every source's Service of one name into one mirror; a template
   * with `{source}`, e.g. `{name}-{source}`, makes one mirror per source.
   * A source Service's `namingAnnotation` chooses for itself.
   *
   * @throws {NameTemplateError} From the constructor, for a template that cannot be used.
   */
  nameTemplate?: string;
  /** Only this namespace, in the host and the sources; omitted for all. */
  namespace?: string;
  /**
   * Create missing namespaces in the host. Without, a key whose namespace
   * is missing waits, parked, until the host's namespace informer sees the
   * namespace appear.
   */
  createNamespaces: boolean;
  /** Also write core v1 Endpoints. */
  legacyEndpoints: boolean;
  /** Concurrent reconciles. Defaults to 4. */
  workers?: number;
  /** How long a key waits before it is looked at again while a source has not synced. Defaults to 5 000 ms. */
  waitMs?: number;
  /**
   * A synced source unreachable for this long is stale: its endpoints are
   * withdrawn as `staleAction` says until it is reached again (its Services
   * still count, so mirrors stay). Omitted or 0: never (as the original).
   */
  staleAfterMs?: number;
  /** What becomes of a stale source's endpoints. Defaults to `not-ready`. */
  staleAction?: StaleAction;
  /**
   * Every key is reconciled again this often, to catch what no event
   * tells (a foreign object that went away, a missed watch event). A
   * converged key writes nothing. Defaults to 600 000 ms.
   */
  resyncMs?: number;
  /** Time source. */
  clock?: Clock;
  /** Told of what the Reflector does (see `observer.ts`). Defaults to none. */
  observer?: ReflectorObserver;
}

/** Options of {@linkcode Reflector.run}. */
export interface ReflectorRunOptions {
  /**
   * How long the keys in hand may go on writing once the run's signal
   * aborted, so that no mirror is left half written (a Service without its
   * slices); keys still queued are left to the next start. Defaults to 0:
   * the keys in hand see the abort at once.
   */
  drainMs?: number;
  /**
   * The signal of a clean shutdown. When given, the keys in hand drain only
   * if it has aborted by the time the run's signal does (not, e.g., when a
   * Lease was lost and another replica may be writing already).
   */
  shutdown?: AbortSignal;
}

/** The Reflector of one host cluster. */
export class Reflector {
  readonly #options: ReflectorOptions;
  readonly #observer: ReflectorObserver;
  readonly #sources: SourceSet;
  readonly #queue: RateLimitingQueue;
  readonly #hostServices: Informer<Service>;
  readonly #hostSlices: Informer<EndpointSlice>;
  readonly #hostEndpoints: Informer<Endpoints>;
  readonly #hostNamespaces: Informer<Namespace>;
  /** Sources unreachable for longer than `staleAfterMs`: their endpoints are withdrawn. */
  readonly #stale = new Set<string>();
  /** Keys whose sources disagree, as last reconciled, with the sources in conflict. */
  readonly #conflicted = new Map<string, readonly string[]>();
  /** Of the keys in `#conflicted`: the conflict last told, as its sources and winners. */
  readonly #conflictsTold = new Map<string, string>();
  /** Keys mirrored, as last reconciled, with the sources whose objects make the mirror. */
  readonly #contributions = new Map<string, readonly string[]>();
  /** Per key, per source: when its first change not yet reconciled was seen (clock ms). */
  readonly #changedAt = new Map<string, Map<string, number>>();
  /** The same, for the keys being reconciled: their first write tells the delay. */
  readonly #propagating = new Map<string, Map<string, number>>();
  /** Keys claimed by several source Services, as last reconciled. */
  readonly #collided = new Set<string>();
  /** Keys whose mirror lost a hand-added selector, to be checked for strays once more. */
  readonly #strayChecks = new Set<string>();
  /** Keys parked until their namespace appears in the host, by namespace. */
  readonly #waiting = new Map<string, Set<string>>();
  readonly #applier: Applier;
  readonly #events: EventRecorder;

  /** Creates the Reflector; nothing is read before {@linkcode Reflector.run}. */
  constructor(options: ReflectorOptions) {
    this.#options = options;
    this.#observer = options.observer ?? {};
    const scope = options.namespace ? { namespace: options.namespace } : {};
    const clock = options.clock ? { clock: options.clock } : {};
    this.#queue = new RateLimitingQueue(clock);
    const enqueue = (key: string) => this.#queue.add(key);
    // Sources also tell of invalid objects on the mirrors they bear on.
    const sourceObserver = fanOut(
      this.#observer,
      invalidObjectEvents({
        events: () => this.#events,
        mirrors: () => this.#hostServices.store,
        onError: (error) => this.#failed(error, "handler"),
      }),
    );
    const naming = new MirrorNaming(options.nameTemplate);
    this.#sources = new SourceSet(options.sources, {
      make: (source) => {
        const made = new Source({ ...source, ...scope, ...clock, naming }, sourceObserver);
        made.onChange((key) => {
          this.#changed(made.name, key);
          enqueue(key);
        });
        return made;
      },
      removeGraceMs: options.removeGraceMs ?? 0,
      ...clock,
      // A source's keys cover only what it holds now: the keys its part of
      // the host bears on (slices of a source that left, or of the one it
      // replaced) are looked at once it synced or retired.
      onSynced: (source, inherited) => this.#requeueSource(source.name, inherited),
      onRetired: (source, keys) => {
        this.#stale.delete(source.name);
        this.#requeueSource(source.name, keys);
      },
    });
    const host = hostInformers(options.host, {
      ...scope,
      ...clock,
      enqueue,
      onError: (error, phase) => this.#failed(error, phase),
    }, {
      exported: (key) => this.#sources.counted.some((source) => source.exports(key)),
      wake: (namespace) => this.#wake(namespace),
    });
    this.#hostServices = host.services;
    this.#hostSlices = host.endpointSlices;
    this.#hostEndpoints = host.endpoints;
    this.#hostNamespaces = host.namespaces;
    this.#events = new EventRecorder({ rest: options.host, ...clock });
    this.#applier = new Applier({
      rest: options.host,
      host: {
        services: this.#hostServices.store,
        endpointSlices: this.#hostSlices.store,
        endpoints: this.#hostEndpoints.store,
        namespaces: this.#hostNamespaces.store,
      },
      observer: fanOut(this.#observer, { onWrite: (write) => this.#propagated(write.mirror) }),
    });
  }

  /** Notes when a change of `source` bearing on `key` was seen, unless an earlier one waits. */
  #changed(source: string, key: string): void {
    const now = (this.#options.clock ?? realClock).now();
    const seen = this.#changedAt.get(key) ?? new Map<string, number>();
    if (!seen.has(source)) seen.set(source, now);
    this.#changedAt.set(key, seen);
  }

  /** Tells, once, how long the changes of `key` being reconciled took to reach the host. */
  #propagated(key: string): void {
    const seen = this.#propagating.get(key);
    if (!seen) return;
    this.#propagating.delete(key);
    const now = (this.#options.clock ?? realClock).now();
    for (const [source, at] of seen) this.#observer.onPropagated?.(source, now - at);
  }

  /**
   * Reconciles `key` with its changes so far in hand: a write tells their
   * delay; a reconcile that fails puts them back, keeping the earlier time.
   */
  async #reconcileTimed(key: string, signal: AbortSignal): Promise<Outcome> {
    const seen = this.#changedAt.get(key);
    this.#changedAt.delete(key);
    if (seen) this.#propagating.set(key, seen);
    let outcome: Outcome | undefined;
    try {
      outcome = await this.#reconcile(key, signal);
      return outcome;
    } finally {
      const left = this.#propagating.get(key);
      this.#propagating.delete(key);
      // A key that is done (or given up) wrote all its changes called for.
      if (left && outcome?.kind !== "done" && outcome?.kind !== "terminal") {
        const waiting = this.#changedAt.get(key) ?? new Map<string, number>();
        for (const [source, at] of left) {
          waiting.set(source, Math.min(at, waiting.get(source) ?? Infinity));
        }
        this.#changedAt.set(key, waiting);
      }
    }
  }

  /** Whether the host caches and every source have synced. */
  get synced(): boolean {
    return this.hostSynced && this.#sources.running.every((source) => source.synced);
  }

  /**
   * Whether the host caches have synced, so keys are being reconciled. A
   * source that has not synced only delays that source's mirrors.
   */
  get hostSynced(): boolean {
    return this.#hostInformers().every((informer) => informer.hasSynced);
  }

  /** Keys waiting to be reconciled (informational). */
  get queueLength(): number {
    return this.#queue.len();
  }

  /** Mirrors whose sources disagree, as last reconciled (informational). */
  get mirrorsInConflict(): number {
    return this.#conflicted.size;
  }

  /** Mirror names claimed by several source Services, as last reconciled (informational). */
  get namesInCollision(): number {
    return this.#collided.size;
  }

  /** Mirror Services the host holds (owned by this project or adopted). */
  get mirrors(): number {
    return this.#hostServices.store.list().filter(isReflected).length;
  }

  /** Sync state of each source, by name. */
  get sourcesSynced(): Record<string, boolean> {
    return Object.fromEntries(
      this.#sources.running.map((source) => [source.name, source.synced]),
    );
  }

  /** The state of each source, running ones in the order added, then removed ones in their grace. */
  get sourceStates(): SourceState[] {
    const count = (by: Map<string, readonly string[]>) => {
      const counts = new Map<string, number>();
      for (const names of by.values()) {
        for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
      }
      return counts;
    };
    const contributed = count(this.#contributions);
    const conflicts = count(this.#conflicted);
    return this.#sources.listed.map((source) => ({
      name: source.name,
      url: source.url,
      synced: source.synced,
      stale: this.#stale.has(source.name),
      removing: this.#sources.retiring(source.name),
      exported: source.exported,
      contributed: contributed.get(source.name) ?? 0,
      conflicts: conflicts.get(source.name) ?? 0,
      ...source.health,
    }));
  }

  /**
   * Makes the Reflector read exactly `sources` (unique names), while it
   * runs or before: new ones start, changed ones (other options or
   * revision) restart, unchanged ones go on untouched, and removed ones
   * stop at once, their part of the host going after `removeGraceMs`.
   */
  updateSources(sources: readonly SourceConfig[]): SourceChanges {
    const changes = this.#sources.update(sources);
    // A restarted source is judged afresh; a removed one stays as it was until retired.
    for (const name of changes.changed) this.#stale.delete(name);
    return changes;
  }

  /** Queues `keys` and the key of every host slice of the source `name`. */
  #requeueSource(name: string, keys: readonly string[]): void {
    const slices = this.#hostSlices.store.list().filter((slice) => sliceSource(slice) === name);
    for (const key of new Set([...keys, ...slices.flatMap(sliceServiceKeys)])) {
      this.#queue.add(key);
    }
  }

  /**
   * Runs until `signal` aborts, then lets the workers finish their keys and
   * stops every informer. Reconciling starts once the host caches synced.
   * Call it once per Reflector.
   *
   * @throws What made the controller or a source fail (e.g. an invalid
   * worker count, or a throwing observer), once everything else stopped.
   */
  async run(signal: AbortSignal, options: ReflectorRunOptions = {}): Promise<void> {
    // Everything stops with `signal`, or as soon as one part fails.
    const stopping = new AbortController();
    const inner = AbortSignal.any([signal, stopping.signal]);
    const finished = new AbortController();
    const working = this.#workSignal(
      inner,
      finished.signal,
      () =>
        !stopping.signal.aborted && (options.shutdown?.aborted ?? true) ? options.drainMs ?? 0 : 0,
    );
    const informing = Promise.all([
      ...this.#hostInformers().map((informer) => informer.run(inner)),
      this.#sources.run(inner),
    ]);
    // Informers never reject, and a source does only through a bug (e.g. a
    // throwing observer): then the rest stops, and the await below throws.
    informing.catch(() => stopping.abort());
    try {
      await this.#reconcileOnceSynced(inner, working);
    } finally {
      finished.abort();
      stopping.abort();
      try {
        this.#observer.onStopping?.("workers");
      } finally {
        // Even after a throwing observer: nothing runs on once run() returns.
        await informing;
      }
    }
  }

  /**
   * The signal the keys in hand write with: it aborts `drainMs()` after
   * `stop` (at once for 0), or once `finished` aborts, whichever is first.
   */
  #workSignal(stop: AbortSignal, finished: AbortSignal, drainMs: () => number): AbortSignal {
    const working = new AbortController();
    finished.addEventListener("abort", () => working.abort(), { once: true });
    const onStop = () => {
      const ms = drainMs();
      if (ms <= 0) return working.abort(stop.reason);
      const clock = this.#options.clock ?? realClock;
      clock.sleep(ms, finished).then(() => working.abort(stop.reason), () => {});
    };
    if (stop.aborted) onStop();
    else stop.addEventListener("abort", onStop, { once: true });
    return working.signal;
  }

  /** Runs the controller once the host caches synced, until `signal` aborts; reconciles see `workSignal`. */
  async #reconcileOnceSynced(signal: AbortSignal, workSignal: AbortSignal): Promise<void> {
    try {
      await Promise.all(this.#hostInformers().map((informer) => informer.synced(signal)));
    } catch (error) {
      // synced() rejects only when `signal` aborts. The controller still
      // runs (and returns at once), so that it alone shuts the queue down.
      if (!signal.aborted) throw error;
    }
    await Promise.all([
      runController(this.#queue, (key, context) => this.#reconcileTimed(key, context.signal), {
        signal,
        workSignal,
        workers: this.#options.workers ?? 4,
        onAttempt: (attempt) => this.#observer.onAttempt?.(attempt),
      }),
      this.#resyncEvery(this.#options.resyncMs ?? 600_000, signal),
      ...(this.#options.staleAfterMs ? [this.#markStale(this.#options.staleAfterMs, signal)] : []),
    ]);
  }

  /**
   * Queues every key the Reflector knows of each `ms` until `signal`
   * aborts: the keys of the sources' selected Services and of the host's
   * mirrors and of the Reflector's endpoint objects (the same keys a start
   * queues).
   */
  async #resyncEvery(ms: number, signal: AbortSignal): Promise<void> {
    await this.#every(ms, signal, () => {
      const keys = new Set([
        ...this.#sources.counted.flatMap((source) => source.keys()),
        ...this.#hostServices.store.list().filter(isReflected).map(objectKey),
        ...this.#hostSlices.store.list().flatMap(sliceServiceKeys),
        ...this.#hostEndpoints.store.keys(),
      ]);
      for (const key of keys) this.#queue.add(key);
    });
  }

  /** Calls `tick` every `ms` of the Reflector's clock until `signal` aborts. */
  async #every(ms: number, signal: AbortSignal, tick: () => void): Promise<void> {
    const clock = this.#options.clock ?? realClock;
    while (!signal.aborted) {
      try {
        await clock.sleep(ms, signal);
      } catch {
        return; // sleep() rejects only when `signal` aborts.
      }
      tick();
    }
  }

  #hostInformers(): Pick<Informer<KubeObject>, "hasSynced" | "synced" | "run">[] {
    return [this.#hostServices, this.#hostSlices, this.#hostEndpoints, this.#hostNamespaces];
  }

  /**
   * Decides the outcome of `key`, the one place where it is decided, and
   * has the applier write what the outcome needs.
   */
  async #reconcile(key: string, signal: AbortSignal): Promise<Outcome> {
    const waitMs = this.#options.waitMs ?? 5_000;
    const { claims, unsynced } = this.#sourceObjects(key);
    const { inputs } = claims;
    if (inputs.length === 0) {
      // No synced source exports the key: their parts go now. A source that
      // has not synced may export it: its part and the mirror stay, and the
      // key is looked at again.
      await this.#applier.remove(key, { keep: unsynced, signal });
      this.#conflicted.delete(key);
      this.#conflictsTold.delete(key);
      this.#collided.delete(key);
      this.#contributions.delete(key);
      return unsynced.size > 0 ? requeueAfter(waitMs) : done();
    }
    const existing = this.#hostServices.store.get(key);
    if (existing && !isReflected(existing)) return await this.#unowned(key, existing);
    const mirror = desiredMirror(inputs, { legacyEndpoints: this.#options.legacyEndpoints });
    const { namespace = "" } = splitObjectKey(key);
    if (!existing && !this.#applier.hasNamespace(namespace)) {
      if (!this.#options.createNamespaces) return this.#park(key, namespace);
      await this.#applier.createNamespace(namespace, { signal });
    }
    let applied: ApplyResult;
    try {
      applied = await this.#applier.apply(mirror, { keep: unsynced, signal });
    } catch (error) {
      // A same-named Service the host caches had not seen yet, not ours.
      if (error instanceof NameTakenError) return await this.#unowned(key, error.object as Service);
      throw error;
    }
    for (const clash of applied.clashes) await this.#clashed(key, applied.service, clash);
    this.#contributions.set(key, inputs.map((each) => each.source));
    await this.#merged(key, applied.service, mirror.conflicts);
    await this.#claimed(key, applied.service, claims);
    if (applied.selectorRemoved) {
      // The host's controllers may still be writing for the selector: look once they are done.
      this.#strayChecks.add(key);
      return requeueAfter(waitMs);
    }
    if (this.#strayChecks.delete(key)) await this.#reportStrays(key, applied.service, signal);
    return done();
  }

  /**
   * Notes whether the sources of `key` disagree; on a disagreement, tells
   * the observer (once per change of the sources in conflict or of a
   * winner, not once per reconcile) and records a Warning Event on the
   * mirror `service` naming the sources and fields (the oldest source's
   * value is the mirror's, `_desired_merge.ts`).
   */
  async #merged(key: string, service: Service, conflicts: readonly MergeConflict[]): Promise<void> {
    if (conflicts.length === 0) {
      this.#conflicted.delete(key);
      this.#conflictsTold.delete(key);
      return;
    }
    const sources = [...new Set(conflicts.flatMap((each) => each.sources))];
    this.#conflicted.set(key, sources);
    const winners = new Set(conflicts.map((each) => each.sources[0]));
    const told = JSON.stringify([[...sources].sort(), [...winners].sort()]);
    if (this.#conflictsTold.get(key) !== told) {
      this.#conflictsTold.set(key, told);
      this.#observer.onMergeConflict?.(key, conflicts);
    }
    const each = conflicts.map(({ field, sources }) =>
      `${field} (${sources[0]} wins over ${sources.slice(1).join(", ")})`
    );
    await this.#reportOn(service, {
      reason: "MergeConflict",
      message: `The sources of ${key} disagree; the oldest source Service wins: ${each.join("; ")}`,
    });
  }

  /**
   * Notes whether several source Services claim the name of `key`; if so,
   * tells the observer and records a Warning Event on the mirror `service`
   * naming the one that has it and the ones left out (`_name_claims.ts`).
   */
  async #claimed(key: string, service: Service, claims: SettledClaims): Promise<void> {
    const { winner, losers } = claims;
    if (losers.length === 0 || winner === undefined) {
      this.#collided.delete(key);
      return;
    }
    this.#collided.add(key);
    this.#observer.onNameCollision?.(key, { winner, losers });
    await this.#reportOn(service, {
      reason: "NameCollision",
      message: `Several source Services are named ${key} in the host; ${winner} (the oldest) has ` +
        `the name, and ${losers.join(", ")} ${losers.length > 1 ? "are" : "is"} not mirrored ` +
        `until the names differ (see --reflector.name-template)`,
    });
  }

  /** Reports the endpoint objects of the mirror `service` that are not the Reflector's, if any. */
  async #reportStrays(key: string, service: Service, signal: AbortSignal): Promise<void> {
    const strays = await this.#applier.strays(key, { signal });
    if (strays.length === 0) return;
    this.#observer.onStrays?.(key, strays);
    const named = strays.map((stray) => `${stray.kind} ${stray.metadata?.name}`).join(", ");
    await this.#reportOn(service, {
      reason: "ForeignEndpoints",
      message:
        `${named} adds endpoints to this mirror but is not managed by service-reflector (the host wrote it while a selector was on the Service); it is left alone: delete it`,
    });
  }

  /** Reports `clash` of the mirror `service` of `key`: observer, and a Warning Event on the mirror. */
  async #clashed(key: string, service: Service, clash: NameClash): Promise<void> {
    this.#observer.onNameClash?.(key, clash);
    const holder = `${clash.resource} ${objectKey(clash.holder)}`;
    const outcome = clash.written
      ? `this mirror's one is ${clash.written.metadata?.name} instead`
      : "this mirror has none";
    await this.#reportOn(service, {
      reason: "NameTaken",
      message:
        `The host's ${holder} is not managed by service-reflector, so it is left alone; ${outcome}`,
    });
  }

  /**
   * The source objects of `key` in every synced source, and the names of
   * the sources that have not synced. Those may hold anything for the key:
   * their slices in the host are kept as they are, and the mirror is not
   * deleted on their account. A source that stays down costs only its own
   * freshness, never the other sources' mirrors.
   */
  #sourceObjects(key: string): { claims: SettledClaims; unsynced: Set<string> } {
    const unsynced = new Set<string>();
    const claims: NameClaim[] = [];
    const { staleAction = "not-ready" } = this.#options;
    for (const source of this.#sources.counted) {
      if (!source.synced) {
        unsynced.add(source.name);
        continue;
      }
      for (const { claimant, objects } of source.claimsFor(key)) {
        claims.push({
          claimant,
          objects: this.#stale.has(source.name)
            ? withdrawnEndpoints(objects, staleAction)
            : objects,
        });
      }
    }
    return { claims: settleClaims(claims), unsynced };
  }

  /**
   * Until `signal` aborts, marks a synced source stale once it has been
   * unreachable for `staleAfterMs`, counted from the loss of contact (never
   * from its last event: a quiet source is not an unreachable one), and
   * fresh again once it is reached; on either change, the source's keys
   * are queued so its endpoints are withdrawn or restored. Checked four
   * times per `staleAfterMs`, at most once a second.
   */
  async #markStale(staleAfterMs: number, signal: AbortSignal): Promise<void> {
    const clock = this.#options.clock ?? realClock;
    await this.#every(Math.min(1_000, staleAfterMs / 4), signal, () => {
      for (const source of this.#sources.running) {
        const { connected, lostSinceMs } = source.health;
        const stale = source.synced && !connected && lostSinceMs !== undefined &&
          clock.now() - lostSinceMs >= staleAfterMs;
        if (stale === this.#stale.has(source.name)) continue;
        if (stale) this.#stale.add(source.name);
        else this.#stale.delete(source.name);
        this.#observer.onStale?.(source.name, stale);
        for (const key of source.keys()) this.#queue.add(key);
      }
    });
  }

  /**
   * Parks `key` until `namespace` appears: done for now, and woken by the
   * host's namespace informer (`#wake`), so a waiting key costs no request.
   * The check that found the namespace missing and this run in one turn of
   * the event loop, so the informer cannot add it in between unseen. The
   * observer is told once per namespace, with its first key.
   */
  #park(key: string, namespace: string): Outcome {
    const keys = this.#waiting.get(namespace);
    if (keys) {
      keys.add(key);
    } else {
      this.#waiting.set(namespace, new Set([key]));
      this.#observer.onNamespaceMissing?.(namespace, key);
    }
    return done();
  }

  /** The keys parked for `namespace`, which are no longer parked. */
  #wake(namespace: string): string[] {
    const keys = this.#waiting.get(namespace);
    this.#waiting.delete(namespace);
    return [...(keys ?? [])];
  }

  /** Reports the same-named host Service `service` the Reflector does not own: a terminal outcome. */
  async #unowned(key: string, service: Service): Promise<Outcome> {
    this.#observer.onUnowned?.(key);
    await this.#reportOn(service, {
      reason: "NotOwned",
      message:
        `A source exports ${key}, but this Service is not managed by service-reflector; it is left alone`,
    });
    return terminal(
      new Error(
        `Cannot mirror ${key} as the host has a Service of that name that service-reflector does not own`,
      ),
    );
  }

  /**
   * Records a Warning Event on the host Service `service`. The Event only
   * explains an outcome, which stands without it: one that cannot be
   * recorded is an informer-style failure of the host, not of the key.
   */
  async #reportOn(service: Service, note: { reason: string; message: string }): Promise<void> {
    try {
      await this.#events.record({
        object: serviceReference(service),
        type: "Warning",
        ...note,
      });
    } catch (error) {
      this.#failed(error, "handler");
    }
  }

  #failed(error: unknown, phase: InformerPhase): void {
    const url = this.#options.host.transport.url("/").href;
    this.#observer.onInformerError?.({ cluster: "host", url, phase, error });
  }
}

/** What every host informer shares. */
type HostScope = Pick<
  KeyedInformerOptions<KubeObject>,
  "namespace" | "clock" | "enqueue" | "onError"
>;

/** What the host informers ask the Reflector. */
interface HostKeys {
  /** Whether a source exports `key`. */
  exported(key: string): boolean;
  /** The keys parked until `namespace` appears, no longer parked. */
  wake(namespace: string): string[];
}

/**
 * The host informers: every Service, the Reflector's own slices and
 * Endpoints, and the namespaces (only the Reflector's one under
 * `--namespace`: namespaces are cluster-scoped, so it is picked by name).
 */
function hostInformers(rest: RestClient, scope: HostScope, keys: HostKeys) {
  const { namespace, ...unscoped } = scope;
  const informer = <T extends KubeObject>(
    type: ResourceType,
    keysOf: (object: T) => string[],
    extra: Partial<KeyedInformerOptions<T>> = {},
  ) => keyedInformer<T>(rest, { type, keysOf, ...extra, ...scope });
  return {
    // A host Service matters when it is ours (a mirror someone edited or
    // deleted is put back; GC starts from them) or when a source exports
    // its key (an unowned one that blocks a mirror: once it is deleted or
    // handed over, the mirror is written without waiting for the source).
    services: informer<Service>(services, (service) => {
      const key = objectKey(service);
      return isReflected(service) || keys.exported(key) ? [key] : [];
    }, { transform: hostServiceShape }),
    endpointSlices: informer<EndpointSlice>(endpointSlices, sliceServiceKeys, {
      labelSelector: `${endpointSliceManagedByLabel}=${endpointSliceControllerName}`,
      indexers: sliceIndexers,
    }),
    endpoints: informer<Endpoints>(endpoints, (object) => [objectKey(object)], {
      labelSelector: `${managedByLabel}=${managedByValue}`,
    }),
    // A namespace appearing wakes the keys parked for it.
    namespaces: keyedInformer<Namespace>(rest, {
      type: namespaces,
      keysOf: (object) => keys.wake(object.metadata?.name ?? ""),
      ...unscoped,
      ...(namespace ? { fieldSelector: `metadata.name=${namespace}` } : {}),
    }),
  };
}
