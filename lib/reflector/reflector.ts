/**
 * The Reflector: keeps, in the host cluster, a selector-less mirror Service
 * plus EndpointSlices for every Service its sources export.
 *
 * Data flows one way: source informers and host informers turn every change
 * into a key (`namespace/name`) on one rate-limited queue; workers reconcile
 * a key by computing the desired mirror from the sources' caches
 * (`desired.ts`) and letting the applier write the difference
 * (`applier.ts`). Garbage collection is the same path: every mirror the
 * host holds is queued at start, and a key no source exports is deleted,
 * but only once every source has synced, so a source that is down never
 * costs its mirrors.
 *
 * @module
 */

import type { Endpoints, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { type Attempt, runController } from "../controller/controller.ts";
import { done, type Outcome, requeueAfter, terminal } from "../controller/reconcile.ts";
import type { Clock } from "../clock.ts";
import { Informer, type InformerPhase } from "../kube/informer.ts";
import { type KubeObject, objectKey } from "../kube/object.ts";
import { endpoints, endpointSlices, services } from "../kube/resource.ts";
import type { RestClient } from "../kube/rest.ts";
import { RateLimitingQueue } from "../workqueue/rate_limiting_queue.ts";
import {
  endpointSliceControllerName,
  endpointSliceManagedByLabel,
  isReflected,
  managedByLabel,
  managedByValue,
} from "../ownership.ts";
import { Applier, mirrorKeys, ownedByService, type Write } from "./applier.ts";
import { EventRecorder } from "./events.ts";
import { Source, type SourceOptions } from "./source.ts";

/** Options of {@linkcode Reflector}. */
export interface ReflectorOptions {
  /** Client of the host cluster. */
  host: RestClient;
  /** The sources. */
  sources: SourceOptions[];
  /** Only this namespace, in the host and the sources; omitted for all. */
  namespace?: string;
  /** Create missing namespaces in the host. */
  createNamespaces: boolean;
  /** Also write core v1 Endpoints. */
  legacyEndpoints: boolean;
  /** Concurrent reconciles. Defaults to 4. */
  workers?: number;
  /** How long a key waits before it is looked at again while a namespace or a source is missing. Defaults to 5 000 ms. */
  waitMs?: number;
  /** Time source. */
  clock?: Clock;
  /** Told of every reconcile attempt. */
  onAttempt?: (attempt: Attempt) => void;
  /** Told of every write to the host. */
  onWrite?: (write: Write) => void;
  /** Told of informer failures, by cluster (`host` or a source name). */
  onInformerError?: (error: unknown, cluster: string, phase: InformerPhase | "discovery") => void;
  /** Told of a same-named host Service the Reflector does not own and leaves alone. */
  onUnowned?: (key: string) => void;
  /** Told of shutdown progress, for logs. */
  onStopping?: (phase: string) => void;
  /** Told of a key waiting for its namespace (only without `createNamespaces`). */
  onNamespaceMissing?: (key: string) => void;
}

/** The Reflector of one host cluster. */
export class Reflector {
  readonly #options: ReflectorOptions;
  readonly #sources: Source[];
  readonly #queue: RateLimitingQueue;
  readonly #hostServices: Informer<Service>;
  readonly #hostSlices: Informer<EndpointSlice>;
  readonly #hostEndpoints: Informer<Endpoints>;
  readonly #applier: Applier;
  readonly #events: EventRecorder;

  /** Creates the Reflector; nothing is read before {@linkcode Reflector.run}. */
  constructor(options: ReflectorOptions) {
    const names = new Set<string>();
    for (const source of options.sources) {
      if (names.has(source.name)) {
        throw new TypeError(
          `Cannot create the Reflector as two sources are named "${source.name}"`,
        );
      }
      names.add(source.name);
    }
    this.#options = options;
    const scope = options.namespace ? { namespace: options.namespace } : {};
    const clock = options.clock ? { clock: options.clock } : {};
    this.#queue = new RateLimitingQueue(clock);
    this.#sources = options.sources.map((source) =>
      new Source({
        ...source,
        ...scope,
        ...clock,
        onError: (error, phase) => options.onInformerError?.(error, source.name, phase),
      })
    );
    const hostErrors = (error: unknown, phase: InformerPhase) =>
      options.onInformerError?.(error, "host", phase);
    this.#hostServices = new Informer<Service>(options.host, {
      type: services,
      ...scope,
      ...clock,
      onError: hostErrors,
    });
    this.#hostSlices = new Informer<EndpointSlice>(options.host, {
      type: endpointSlices,
      labelSelector: `${endpointSliceManagedByLabel}=${endpointSliceControllerName}`,
      indexers: { [ownedByService]: mirrorKeys },
      ...scope,
      ...clock,
      onError: hostErrors,
    });
    this.#hostEndpoints = new Informer<Endpoints>(options.host, {
      type: endpoints,
      labelSelector: `${managedByLabel}=${managedByValue}`,
      ...scope,
      ...clock,
      onError: hostErrors,
    });
    this.#events = new EventRecorder({ rest: options.host, ...clock });
    this.#applier = new Applier({
      rest: options.host,
      host: {
        services: this.#hostServices.store,
        endpointSlices: this.#hostSlices.store,
        endpoints: this.#hostEndpoints.store,
      },
      createNamespaces: options.createNamespaces,
      legacyEndpoints: options.legacyEndpoints,
      ...(options.onWrite ? { onWrite: options.onWrite } : {}),
    });
  }

  /** Whether the host caches and every source have synced. */
  get synced(): boolean {
    return this.hostSynced && this.#sources.every((source) => source.synced);
  }

  /**
   * Whether the host caches have synced, so keys are being reconciled. A
   * source that has not synced only delays that source's mirrors.
   */
  get hostSynced(): boolean {
    return this.#hostServices.hasSynced && this.#hostSlices.hasSynced &&
      this.#hostEndpoints.hasSynced;
  }

  /** Keys waiting to be reconciled (informational). */
  get queueLength(): number {
    return this.#queue.len();
  }

  /** Mirror Services the host holds (owned by this project or adopted). */
  get mirrors(): number {
    return this.#hostServices.store.list().filter(isReflected).length;
  }

  /** Sync state of each source, by name. */
  get sourcesSynced(): Record<string, boolean> {
    return Object.fromEntries(this.#sources.map((source) => [source.name, source.synced]));
  }

  /** Runs until `signal` aborts, then drains the workers. */
  async run(signal: AbortSignal): Promise<void> {
    const enqueue = (key: string) => this.#queue.add(key);
    const onHost = <T extends KubeObject>(informer: Informer<T>, keysOf: (object: T) => string[]) =>
      informer.addEventHandlers({
        onAdd: (object) => keysOf(object).forEach(enqueue),
        onUpdate: (_, object) => keysOf(object).forEach(enqueue),
        onDelete: (object) => keysOf(object).forEach(enqueue),
      });
    // Host Services matter only when they are ours: that is where a mirror
    // someone edited or deleted is put back, and where GC starts from.
    onHost(this.#hostServices, (service) => isReflected(service) ? [objectKey(service)] : []);
    onHost(this.#hostSlices, mirrorKeys);
    onHost(this.#hostEndpoints, (object) => [objectKey(object)]);
    for (const source of this.#sources) source.onChange(enqueue);

    const informers = [
      this.#hostServices.run(signal),
      this.#hostSlices.run(signal),
      this.#hostEndpoints.run(signal),
      ...this.#sources.map((source) => source.run(signal)),
    ];
    try {
      await Promise.all([
        this.#hostServices.synced(signal),
        this.#hostSlices.synced(signal),
        this.#hostEndpoints.synced(signal),
      ]);
      await runController(this.#queue, (key, context) => this.#reconcile(key, context.signal), {
        signal,
        workers: this.#options.workers ?? 4,
        ...(this.#options.onAttempt ? { onAttempt: this.#options.onAttempt } : {}),
      });
    } catch {
      // Aborted before the host synced.
    }
    this.#options.onStopping?.("workers");
    this.#queue.shutDown();
    await Promise.all(informers);
  }

  async #recordUnowned(key: string): Promise<void> {
    const service = this.#hostServices.store.get(key);
    if (!service) return;
    try {
      await this.#events.record({
        object: {
          apiVersion: "v1",
          kind: "Service",
          namespace: service.metadata?.namespace ?? "",
          name: service.metadata?.name ?? "",
          uid: service.metadata?.uid ?? "",
        },
        type: "Warning",
        reason: "NotOwned",
        message:
          `A source exports ${key}, but this Service is not managed by service-reflector; it is left alone`,
      });
    } catch (error) {
      this.#options.onInformerError?.(error, "host", "handler");
    }
  }

  async #reconcile(key: string, signal: AbortSignal): Promise<Outcome> {
    // A source that has not synced may hold anything for this key: its
    // slices in the host are kept as they are, and the mirror is not
    // deleted on its account. A source that stays down costs only its own
    // freshness, never the other sources' mirrors.
    const keep = new Set(
      this.#sources.filter((source) => !source.synced).map((source) => source.name),
    );
    const inputs = this.#sources.flatMap((source) => {
      const objects = source.synced ? source.objectsFor(key) : undefined;
      return objects ? [objects] : [];
    });
    const waitMs = this.#options.waitMs ?? 5_000;
    if (inputs.length === 0 && keep.size > 0) return requeueAfter(waitMs);
    const result = await this.#applier.apply(key, inputs, { keep, signal });
    switch (result) {
      case "unowned":
        this.#options.onUnowned?.(key);
        await this.#recordUnowned(key);
        return terminal(
          new Error(
            `Cannot mirror ${key} as the host has a Service of that name that service-reflector does not own`,
          ),
        );
      case "namespace-missing":
        this.#options.onNamespaceMissing?.(key);
        return requeueAfter(waitMs);
      default:
        return done();
    }
  }
}
