/**
 * The Reflector: keeps, in the host cluster, what its sources export, as
 * each host model renders it (`host_model.ts`; today the mirror model: a
 * selector-less mirror Service plus EndpointSlices per exported Service).
 *
 * Data flows one way: a source tells each change by the key of its Service
 * in the source; each model says which host keys that Service bears on
 * (`_host_keys.ts` remembers, so the keys it bore on before are told too);
 * host informers tell changes of what the models read. Every change
 * becomes a key qualified by its model on one rate-limited queue
 * (`queue_keys.ts`); workers reconcile a key (`key_reconciler.ts`: the
 * claims, one merge, the model's desired objects, the applier's writes),
 * and what the reconcile found goes to one reporter (`reporter.ts`).
 * Garbage collection is the same path: every key a model holds objects of
 * is queued at start, and a key no source exports is withdrawn, but only
 * once every source has synced, so a source that is down never costs its
 * part of the host.
 *
 * What the Reflector does is told to one {@linkcode ReflectorObserver}
 * (`observer.ts`): attempts, writes, conflicts, failures it recovers from.
 *
 * @module
 */

import { runController } from "../controller/controller.ts";
import { type Outcome, terminal } from "../controller/reconcile.ts";
import { type Clock, realClock } from "../clock.ts";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import type { Informer, InformerPhase } from "../kube/informer.ts";
import type { KubeObject } from "../kube/object.ts";
import { services } from "../kube/resource.ts";
import type { RestClient } from "../kube/rest.ts";
import { RateLimitingQueue } from "../workqueue/rate_limiting_queue.ts";
import { isMirrorObject } from "../ownership.ts";
import { Applier, type HostCaches } from "./applier.ts";
import { drainSignal } from "./_drain_signal.ts";
import { EventRecorder } from "./events.ts";
import { type HostInformers, hostInformers } from "./_host_informers.ts";
import type { HostModel } from "./host_model.ts";
import { invalidObjectEvents } from "./_invalid_object_events.ts";
import { KeyReconciler } from "./key_reconciler.ts";
import { hostModel } from "./_host_models.ts";
import { NamespaceParking } from "./namespace_parking.ts";
import { fanOut, type ReflectorObserver } from "./observer.ts";
import { Propagation } from "./propagation.ts";
import { parseQueueKey, queueKey } from "./queue_keys.ts";
import { Reporter } from "./reporter.ts";
import type { Report } from "./reports.ts";
import { type ExportRule, Source, type SourceObserver } from "./source.ts";
import type { SourceConfig } from "./source_config.ts";
import { SourceRoutes } from "./_source_routes.ts";
import { type SourceChanges, SourceSet } from "./_source_set.ts";
import type { SourceState } from "./source_state.ts";
import type { StaleAction } from "./stale_action.ts";
import type { ReflectorApi } from "./reflector_api.ts";

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
   * The dialect (the host model): `mirror` (the default, the original's: a
   * source exports the Services its selector picks, each becomes a
   * same-named mirror Service) or `mcs` (the Multi-Cluster Services API: a
   * source exports the Services its ServiceExports name, each becomes a
   * ServiceImport with a derived Service; see `mcs_model.ts`).
   */
  api?: ReflectorApi;
  /**
   * The host's own cluster id in the `mcs` dialect: the source of that name
   * is the host itself, and the conditions of the host's ServiceExports are
   * written from what it exports. Omitted: none are written.
   */
  clusterId?: string;
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
  readonly #models: ReadonlyMap<string, HostModel>;
  readonly #routes: SourceRoutes;
  readonly #host: HostInformers;
  readonly #parking = new NamespaceParking();
  readonly #propagation: Propagation;
  readonly #reporter: Reporter;
  readonly #reconciler: KeyReconciler;

  /** Creates the Reflector; nothing is read before {@linkcode Reflector.run}. */
  constructor(options: ReflectorOptions) {
    this.#options = options;
    this.#observer = options.observer ?? {};
    const clock = options.clock ? { clock: options.clock } : {};
    this.#queue = new RateLimitingQueue(clock);
    const model = hostModel(options, {
      store: (type) => this.#host.store(type),
      claimed: (model, key) => this.#routes.claimed(model, key, this.#sources.counted),
      syncedSource: (name) =>
        this.#sources.counted.find((source) => source.name === name && source.synced),
    });
    this.#models = new Map([[model.name, model]]);
    this.#routes = new SourceRoutes({
      models: [...this.#models.values()],
      enqueue: (queued) => this.#queue.add(queued),
      onChanged: (source, key) => this.#propagation.changed(source, key),
    });
    const events = new EventRecorder({ rest: options.host, ...clock });
    this.#sources = this.#sourceSet(options, events);
    this.#host = hostInformers(options.host, [...this.#models.values()], {
      ...(options.namespace ? { namespace: options.namespace } : {}),
      ...clock,
      enqueue: (key) => this.#queue.add(key),
      onError: (error, phase) => this.#failed(error, phase),
    }, (namespace) => this.#parking.wake(namespace));
    this.#reporter = new Reporter({
      observer: this.#observer,
      events,
      onEventError: (error) => this.#failed(error, "handler"),
    });
    this.#propagation = new Propagation({
      onPropagated: (source, ms) => this.#observer.onPropagated?.(source, ms),
      ...clock,
    });
    const host: HostCaches = {
      namespaces: this.#host.namespaces.store,
      objects: (resource) => this.#host.store({ resource }),
    };
    this.#reconciler = new KeyReconciler({
      sources: this.#sources,
      keysOf: (model) => this.#routes.keysOf(model),
      applier: new Applier({
        rest: options.host,
        host,
        observer: fanOut(this.#observer, {
          onWrite: (write) => this.#propagation.written(write.mirror),
        }),
      }),
      host,
      parking: this.#parking,
      parkedAs: (model, key) => queueKey(model.name, key),
      createNamespaces: options.createNamespaces,
      waitMs: options.waitMs ?? 5_000,
      staleAction: options.staleAction ?? "not-ready",
    });
  }

  /** The sources of `options`, telling of invalid objects on the mirrors they bear on too. */
  #sourceSet(options: ReflectorOptions, events: EventRecorder): SourceSet {
    const observer = fanOut(
      this.#observer,
      invalidObjectEvents({
        events: () => events,
        mirrors: () => this.#host.store<Service>(services),
        onError: (error) => this.#failed(error, "handler"),
      }),
    );
    return new SourceSet(options.sources, {
      make: (config) =>
        this.#source(config, observer, options.api === "mcs" ? "service-export" : "selector"),
      removeGraceMs: options.removeGraceMs ?? 0,
      ...(options.staleAfterMs ? { staleAfterMs: options.staleAfterMs } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      // A source's keys cover only what it holds now: the keys its part of
      // the host bears on (of a source that left, or of the one it
      // replaced) are looked at once it synced or retired.
      onSynced: (source, replaced) => this.#routes.requeueWritten(source.name, replaced),
      onRetired: (source) => this.#routes.requeueWritten(source.name, source),
      onDiscarded: (source) => this.#routes.forget(source),
      onStale: (source, stale) => {
        this.#observer.onStale?.(source.name, stale);
        this.#routes.requeue(source);
      },
    });
  }

  /** Whether the host caches and every source have synced. */
  get synced(): boolean {
    return this.hostSynced && this.#sources.running.every((source) => source.synced);
  }

  /**
   * Whether the host caches have synced, so keys are being reconciled. A
   * source that has not synced only delays that source's part of the host.
   */
  get hostSynced(): boolean {
    return this.#hostInformers().every((informer) => informer.hasSynced);
  }

  /** Keys waiting to be reconciled (informational). */
  get queueLength(): number {
    return this.#queue.len();
  }

  /** Keys whose sources disagree, as last reconciled (informational). */
  get mirrorsInConflict(): number {
    return this.#reporter.inConflict;
  }

  /** Names claimed by several source Services, as last reconciled (informational). */
  get namesInCollision(): number {
    return this.#reporter.inCollision;
  }

  /** Mirror Services the host holds (owned by this project or adopted). */
  get mirrors(): number {
    return this.#host.store<Service>(services).list().filter(isMirrorObject).length;
  }

  /** The state of each source, running ones in the order added, then removed ones in their grace. */
  get sourceStates(): SourceState[] {
    const counts = this.#reporter.countsBySource();
    return this.#sources.listed.map((source) => ({
      name: source.name,
      url: source.url,
      synced: source.synced,
      stale: this.#sources.stale(source),
      removing: this.#sources.retiring(source.name),
      exported: source.exported,
      contributed: counts.get(source.name)?.contributed ?? 0,
      conflicts: counts.get(source.name)?.conflicts ?? 0,
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
    return this.#sources.update(sources);
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
    const working = drainSignal(
      inner,
      finished.signal,
      () =>
        !stopping.signal.aborted && (options.shutdown?.aborted ?? true) ? options.drainMs ?? 0 : 0,
      this.#options.clock,
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
      runController(this.#queue, (key, context) => this.#reconcile(key, context.signal), {
        signal,
        workSignal,
        workers: this.#options.workers ?? 4,
        onAttempt: (attempt) =>
          this.#observer.onAttempt?.({ ...attempt, key: parseQueueKey(attempt.key).key }),
      }),
      this.#resyncEvery(this.#options.resyncMs ?? 600_000, signal),
    ]);
  }

  /** Reconciles the queue key `queued`; what it found is reported, even when it fails. */
  async #reconcile(queued: string, signal: AbortSignal): Promise<Outcome> {
    const { model: name, key } = parseQueueKey(queued);
    const model = this.#models.get(name);
    if (!model) return terminal(new Error(`No host model ${name} for ${key}`));
    const reports: Report[] = [];
    try {
      return await this.#propagation.during(
        key,
        () => this.#reconciler.reconcile(model, key, reports, signal),
        // A key that is done (or given up) wrote all its changes called for.
        (outcome) => outcome.kind === "done" || outcome.kind === "terminal",
      );
    } finally {
      await this.#reporter.report(reports);
    }
  }

  /**
   * Queues every key the Reflector knows of each `ms` until `signal`
   * aborts: per model, the keys of the counted sources' Services and those
   * of the model's objects in the host (the same keys a start queues).
   */
  async #resyncEvery(ms: number, signal: AbortSignal): Promise<void> {
    const clock = this.#options.clock ?? realClock;
    while (!signal.aborted) {
      try {
        await clock.sleep(ms, signal);
      } catch {
        return; // sleep() rejects only when `signal` aborts.
      }
      for (const key of this.#routes.everyKey(this.#sources.counted)) this.#queue.add(key);
    }
  }

  /** A running source of `config`, whose changes are queued as the models' keys. */
  #source(config: SourceConfig, observer: SourceObserver, exportRule: ExportRule): Source {
    const { namespace, clock } = this.#options;
    const source: Source = new Source(
      { ...config, exportRule, ...(namespace ? { namespace } : {}), ...(clock ? { clock } : {}) },
      {
        ...observer,
        // Told with the host key it bears on, where its Event goes.
        onInvalidObject: (invalid) =>
          observer.onInvalidObject?.({
            ...invalid,
            ...(invalid.serviceKey
              ? { serviceKey: this.#routes.hostKeyOf(source, invalid.serviceKey) }
              : {}),
          }),
      },
    );
    source.onChange((sourceKey) => this.#routes.changed(source, sourceKey));
    return source;
  }

  #hostInformers(): Pick<Informer<KubeObject>, "hasSynced" | "synced" | "run">[] {
    return [...this.#host.byResource.values(), this.#host.namespaces];
  }

  #failed(error: unknown, phase: InformerPhase): void {
    const url = this.#options.host.transport.url("/").href;
    this.#observer.onInformerError?.({ cluster: "host", url, phase, error });
  }
}
