/**
 * One source cluster as the Reflector sees it: a name, a client, and
 * informers on its selected Services and on their endpoints. EndpointSlices
 * are used where the source serves `discovery.k8s.io/v1`; a source that
 * serves only core v1 Endpoints (the original Go Emitter) is read through
 * those instead, decided from its discovery document when the source is
 * first reached.
 *
 * A source that cannot be reached degrades only itself: it retries with
 * backoff and reports not synced, and the Reflector keeps its mirrors as
 * they are until it syncs again. Reachability is measured by round trips,
 * not by open sockets: watches have client-side bounds (see the
 * informer), and while nothing is heard from the source a probe asks it
 * (`reachability_probe.ts`); an answer after a loss retries the informers
 * at once instead of after their backoff. So does a hostile one: what it may send is
 * bounded (`source_limits.ts`), and every object it sends is checked
 * against the shape the Reflector reads before it is cached
 * (`_source_admission.ts`); an invalid one is skipped and reported once.
 *
 * @module
 */

import type { Endpoints, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { Backoff } from "../kube/backoff.ts";
import { type Clock, realClock } from "../clock.ts";
import { servesResource } from "../kube/discovery.ts";
import type { Informer, InformerHealth, InformerPhase } from "../kube/informer.ts";
import { type KubeObject, objectKey, serviceNameLabel, sliceServiceKeys } from "../kube/object.ts";
import { endpoints, endpointSlices, services } from "../kube/resource.ts";
import { RestClient } from "../kube/rest.ts";
import { Transport } from "../kube/transport.ts";
import { ReachabilityProbe } from "../kube/reachability_probe.ts";
import {
  mcsGroup,
  type McsVersion,
  mcsVersions,
  type ServiceExport,
  serviceExports,
} from "../mcs/api.ts";
import { servedMcsVersion } from "../mcs/served_version.ts";
import { isReflected } from "../ownership.ts";
import {
  byService,
  keyedInformer,
  type KeyedInformerOptions,
  type Runnable,
  sliceIndexers,
} from "./_informers.ts";
import type { SourceObjects } from "./_desired_inputs.ts";
import type { InformerFailure } from "./informer_failure.ts";
import type { SourceConfig } from "./source_config.ts";
import { admission, type InvalidObject } from "./_source_admission.ts";
import { blamingSource, defaultSourceLimits, type SourceLimits } from "./source_limits.ts";
import {
  endpointSliceProblems,
  endpointsProblems,
  serviceExportProblems,
  serviceProblems,
  type ShapeProblem,
} from "./source_shape.ts";

/** How a source's endpoints are read. */
export type EndpointsMode = "endpointslices" | "endpoints";

/**
 * How a source's Services are exported: by the label selector alone (the
 * original's way), or, in the Multi-Cluster Services API, by a ServiceExport
 * of the same namespace and name too (the selector then only narrows).
 */
export type ExportRule = "selector" | "service-export";

/** Options of {@linkcode Source}: its config and the Reflector's wiring. */
export interface SourceOptions extends SourceConfig {
  /** How its Services are exported. Defaults to `selector`. */
  exportRule?: ExportRule;
  /** Time source. */
  clock?: Clock;
}

/** What a {@linkcode Source} tells of its health (part of the Reflector's observer). */
export interface SourceObserver {
  /**
   * An informer, a source's discovery or an Event write failed; it is
   * retried. A source that sent more than a bound allows fails with a
   * `SourceLimitError` (`source_limits.ts`).
   */
  onInformerError?(failure: InformerFailure): void;
  /**
   * A source sent an object that is not shaped as the Reflector reads it:
   * it is skipped (its cache keeps the version it had). Told once per
   * object version.
   */
  onInvalidObject?(invalid: InvalidObject): void;
  /**
   * Source `source` (at `url`) stopped answering round trips (`error`
   * says which and why), or, with `error` undefined, answers again. Told
   * once per change.
   */
  onReachability?(source: string, url: string, error: unknown): void;
  /** Source `source` reads its endpoints through `mode`, decided once per run. */
  onMode?(source: string, mode: EndpointsMode): void;
}

/** A source cluster's selected Services and endpoints. */
export class Source {
  /** The source's name. */
  readonly name: string;
  readonly #options: SourceOptions;
  readonly #observer: SourceObserver;
  readonly #transport: Transport;
  readonly #rest: RestClient;
  readonly #listeners = new Set<(key: string) => void>();
  readonly #syncedListeners = new Set<() => void>();
  readonly #limits: SourceLimits;
  #services: Informer<Service> | undefined;
  #slices: Informer<EndpointSlice> | undefined;
  #endpoints: Informer<Endpoints> | undefined;
  /** Under the `service-export` rule, once the served version is known: the ServiceExports. */
  #exports: Informer<ServiceExport> | undefined;
  /** Under the `service-export` rule: whether discovery found ServiceExports served. */
  #exportsServed = false;
  /** Clock time (ms) the endpoints API was decided. */
  #discovered: number | undefined;
  /** The signal of the current run, while it runs. */
  #running: AbortSignal | undefined;
  readonly #probe: ReachabilityProbe;

  /**
   * Creates the source; nothing is sent before {@linkcode Source.run}.
   * `observer` is told of its failures (`onInformerError`, with the
   * source's name as the cluster) and of its endpoints API (`onMode`).
   */
  constructor(options: SourceOptions, observer: SourceObserver = {}) {
    this.name = options.name;
    this.#options = options;
    this.#observer = observer;
    this.#limits = { ...defaultSourceLimits, ...options.limits };
    this.#transport = new Transport(options.config);
    this.#rest = new RestClient(this.#transport);
    this.#probe = new ReachabilityProbe({
      rest: this.#rest,
      lastHeardMs: () => this.#lastHeardMs(),
      ...(options.clock ? { clock: options.clock } : {}),
      onUnreachable: (error) =>
        this.#observer.onReachability?.(this.name, this.url, blamingSource(this.name, error)),
      onReachable: () => {
        this.#observer.onReachability?.(this.name, this.url, undefined);
        for (const informer of this.#informers()) informer.retryNow();
      },
    });
  }

  /** The informers running, as far as reachability is concerned. */
  #informers(): Pick<Informer<KubeObject>, "health" | "retryNow">[] {
    const informers = [this.#services, this.#slices ?? this.#endpoints, this.#exports];
    return informers.filter((each) => each !== undefined);
  }

  /** How many informers a run of the source has once its APIs are decided. */
  #expectedInformers(): number {
    return this.#exportsServed ? 3 : 2;
  }

  /** Clock time (ms) of the last discovery, list, accepted watch or byte of one. */
  #lastHeardMs(): number | undefined {
    const contacts = [
      this.#discovered,
      ...this.#informers().map((each) => each.health.lastContactMs),
    ]
      .filter((ms): ms is number => ms !== undefined);
    return contacts.length > 0 ? Math.max(...contacts) : undefined;
  }

  /** The endpoints API in use, once decided. */
  get mode(): EndpointsMode | undefined {
    return this.#slices ? "endpointslices" : this.#endpoints ? "endpoints" : undefined;
  }

  /**
   * Whether the source is reached now (its endpoints API decided, every
   * informer connected: see `InformerHealth`, and the last probe, if the
   * source was silent, answered), when it last was (discovery, a list, an
   * accepted watch, a byte of one or a probe's answer), and since when
   * contact is lost (the earliest loss of an informer or the probe).
   */
  get health(): Readonly<InformerHealth> {
    const informers = this.#informers();
    const probeLostMs = this.#probe.lostSinceMs;
    const connected = this.mode !== undefined && informers.length === this.#expectedInformers() &&
      informers.every((each) => each.health.connected) && probeLostMs === undefined;
    const contacts = [this.#lastHeardMs(), this.#probe.lastAnswerMs]
      .filter((ms): ms is number => ms !== undefined);
    const losses = [probeLostMs, ...informers.map((each) => each.health.lostSinceMs)]
      .filter((ms): ms is number => ms !== undefined);
    return {
      connected,
      lastContactMs: contacts.length > 0 ? Math.max(...contacts) : undefined,
      lostSinceMs: connected || losses.length === 0 ? undefined : Math.min(...losses),
    };
  }

  /** Where the source is reached (its server URL). */
  get url(): string {
    return this.#options.config.server.href;
  }

  /** Whether every informer of the source has synced. */
  get synced(): boolean {
    const endpointsSynced = this.#slices?.hasSynced ?? this.#endpoints?.hasSynced ?? false;
    const exportsSynced = !this.#exportsServed || (this.#exports?.hasSynced ?? false);
    return (this.#services?.hasSynced ?? false) && endpointsSynced && exportsSynced;
  }

  /**
   * Calls `listener` with the key (`namespace/name`, in the source) of the
   * Service of every change: of the Service, or of its endpoints.
   */
  onChange(listener: (key: string) => void): void {
    this.#listeners.add(listener);
  }

  /**
   * Calls `listener` once the source's caches first synced (each run of a
   * source syncs once: a dropped watch relists into the synced caches).
   */
  onSynced(listener: () => void): void {
    this.#syncedListeners.add(listener);
  }

  /** How many Services the source exports (selected, not mirrors themselves). */
  get exported(): number {
    return this.services().length;
  }

  /**
   * The Services the source exports: those its cache holds (selected),
   * under the `service-export` rule only those with a ServiceExport, and
   * never one written by a Reflector: a mirror in the source is never
   * reflected back, so clusters that reflect each other do not echo.
   */
  services(): Service[] {
    return this.#services?.store.list().filter((service) => this.#exported(service)) ?? [];
  }

  /** The Service of `key` the source's selector picks, exported or not; undefined if none. */
  selectedService(key: string): Service | undefined {
    return this.#services?.store.get(key);
  }

  /** The Service of `key` if the source exports it (see {@linkcode Source.services}). */
  service(key: string): Service | undefined {
    const service = this.#services?.store.get(key);
    return service && this.#exported(service) ? service : undefined;
  }

  /**
   * The Service of `key` the source exports, with its endpoint objects and,
   * under the `service-export` rule, its ServiceExport; undefined if it
   * exports none.
   */
  objectsOf(key: string): SourceObjects | undefined {
    const service = this.service(key);
    if (!service) return undefined;
    const serviceExport = this.#exports?.store.get(key);
    return {
      source: this.name,
      service,
      ...this.#endpointsOf(key),
      ...(serviceExport ? { serviceExport } : {}),
    };
  }

  /** Whether the cached `service` is exported (see {@linkcode Source.services}). */
  #exported(service: Service): boolean {
    if (isReflected(service)) return false;
    if ((this.#options.exportRule ?? "selector") === "selector") return true;
    return this.#exports?.store.get(objectKey(service)) !== undefined;
  }

  /** The endpoint objects of the source Service of `key`. */
  #endpointsOf(key: string): Pick<SourceObjects, "endpointSlices" | "endpoints"> {
    if (this.#slices) {
      const slices = this.#slices.store.byIndex(byService, key).filter((slice) =>
        !isReflected(slice)
      );
      return { endpointSlices: slices };
    }
    const legacy = this.#endpoints?.store.get(key);
    return legacy ? { endpoints: legacy } : {};
  }

  /** Decides the endpoints API, then runs the informers until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.#running = signal;
    // The probe ends with the run, however it ends.
    const ended = new AbortController();
    const probing = this.#probe.run(AbortSignal.any([signal, ended.signal]));
    try {
      const mode = await this.#discover(signal);
      if (!mode) return;
      this.#observer.onMode?.(this.name, mode.endpoints);
      const informers = this.#inform(mode.endpoints, mode.exports);
      Promise.all(informers.map((informer) => informer.synced(signal))).then(
        () => this.#syncedListeners.forEach((listener) => listener()),
        () => {}, // synced() rejects only when `signal` aborts.
      );
      await Promise.all(informers.map((informer) => informer.run(signal)));
    } finally {
      ended.abort();
      await probing;
      this.#transport.close();
    }
  }

  /**
   * Creates the informers of `mode` (and of the ServiceExports of
   * `exportsVersion`, when given), each telling the listeners of every change.
   */
  #inform(mode: EndpointsMode, exportsVersion: McsVersion | undefined): Runnable[] {
    const { namespace, clock, selector } = this.#options;
    const { maxListPages, maxListBytes, maxEventBytes, maxObjects } = this.#limits;
    const common = {
      ...(namespace ? { namespace } : {}),
      ...(clock ? { clock } : {}),
      maxListPages,
      maxListBytes,
      maxLineBytes: maxEventBytes,
      maxObjects,
      onError: (error: unknown, phase: InformerPhase) => this.#failed(error, phase),
      enqueue: (key: string) => {
        for (const listener of this.#listeners) listener(key);
      },
    };
    this.#services = keyedInformer<Service>(this.#rest, {
      type: services,
      labelSelector: selector,
      keysOf: (service) => [objectKey(service)],
      admit: this.#admission(services.resource, serviceProblems, "own"),
      ...common,
    });
    this.#services.addEventHandlers({
      onAdd: (service) => this.#fillSlicesOf(objectKey(service)),
      onDelete: (service) => this.#forgetSlicesOf(objectKey(service)),
    });
    const exports = exportsVersion && this.#informExports(exportsVersion, common);
    if (mode === "endpointslices") {
      const valid = this.#admission(endpointSlices.resource, endpointSliceProblems, "slice");
      const slices = keyedInformer<EndpointSlice>(this.#rest, {
        type: endpointSlices,
        indexers: sliceIndexers,
        keysOf: sliceServiceKeys,
        // Only slices of selected Services are cached: most of a source's
        // slices are of Services it does not export, and no mirror reads them.
        admit: (slice) => valid(slice) && this.#selectsServiceOf(slice),
        ...common,
      });
      this.#slices = slices;
      return [this.#services, ...(exports ? [exports] : []), this.#afterServices(slices)];
    }
    this.#endpoints = keyedInformer<Endpoints>(this.#rest, {
      type: endpoints,
      keysOf: (object) => [objectKey(object)],
      admit: this.#admission(endpoints.resource, endpointsProblems, "own"),
      ...common,
    });
    return [this.#services, ...(exports ? [exports] : []), this.#endpoints];
  }

  /**
   * The ServiceExports' informer: a change of one is a change of the
   * Service it exports; one that appears has the Service's slices filled in,
   * one that goes has them dropped.
   */
  #informExports(
    version: McsVersion,
    common: Omit<KeyedInformerOptions<KubeObject>, "type" | "keysOf">,
  ): Informer<ServiceExport> {
    const type = serviceExports(version);
    const informer = keyedInformer<ServiceExport>(this.#rest, {
      ...common,
      type,
      keysOf: (serviceExport) => [objectKey(serviceExport)],
      admit: this.#admission(type.resource, serviceExportProblems, "own"),
    });
    informer.addEventHandlers({
      onAdd: (serviceExport) => this.#fillSlicesOf(objectKey(serviceExport)),
      onDelete: (serviceExport) => this.#forgetSlicesOf(objectKey(serviceExport)),
    });
    this.#exports = informer;
    return informer;
  }

  /** Whether a Service `slice` belongs to is exported. */
  #selectsServiceOf(slice: EndpointSlice): boolean {
    return sliceServiceKeys(slice).some((key) => this.service(key) !== undefined);
  }

  /**
   * `slices`, run once the Services (and ServiceExports) are cached: its
   * first list then admits the slices of every exported Service, and a
   * Service exported later has its slices filled in
   * ({@linkcode Source.#fillSlicesOf}).
   */
  #afterServices(slices: Informer<EndpointSlice>): Runnable {
    return {
      run: async (signal) => {
        try {
          await this.#services?.synced(signal);
          await this.#exports?.synced(signal);
        } catch {
          return; // Aborted before the Services synced.
        }
        await slices.run(signal);
      },
      synced: (signal) => slices.synced(signal),
    };
  }

  /**
   * Caches the slices of the Service of `key` exported after the slices'
   * first list (new, newly labelled, or newly given a ServiceExport), which
   * the slice informer refused until now; retried with backoff while the
   * Service stays exported.
   */
  #fillSlicesOf(key: string): void {
    const slices = this.#slices;
    const signal = this.#running;
    const service = this.service(key);
    if (!slices?.hasSynced || !signal || signal.aborted || !service) return;
    const { name = "", namespace } = service.metadata ?? {};
    const selection = {
      ...(namespace ? { namespace } : {}),
      labelSelector: `${serviceNameLabel}=${name}`,
    };
    const backoff = new Backoff(this.#options.clock ? { clock: this.#options.clock } : {});
    const fill = async () => {
      while (!signal.aborted && this.service(key)) {
        try {
          return await slices.fill(selection, signal);
        } catch (error) {
          if (signal.aborted) return;
          this.#failed(error, "list");
        }
        await backoff.wait(signal).catch(() => {});
      }
    };
    void fill();
  }

  /** Drops the cached slices of the Service of `key`, no longer exported. */
  #forgetSlicesOf(key: string): void {
    const slices = this.#slices;
    if (!slices) return;
    slices.forget(slices.store.byIndex(byService, key).map(objectKey));
  }

  #admission(
    resource: string,
    check: (object: unknown) => readonly ShapeProblem[],
    keyed: "own" | "slice",
  ): (object: KubeObject) => boolean {
    return admission({
      source: this.name,
      resource,
      check,
      keyed,
      report: (invalid) => this.#observer.onInvalidObject?.(invalid),
    });
  }

  #failed(error: unknown, phase: InformerPhase | "discovery"): void {
    this.#observer.onInformerError?.({
      cluster: this.name,
      url: this.url,
      phase,
      error: blamingSource(this.name, error),
    });
  }

  /**
   * Finds which endpoints API the source serves and, under the
   * `service-export` rule, which version of ServiceExports (none: the
   * source exports nothing, told once), retrying until it answers;
   * undefined once `signal` aborts.
   */
  async #discover(
    signal: AbortSignal,
  ): Promise<{ endpoints: EndpointsMode; exports: McsVersion | undefined } | undefined> {
    const backoff = new Backoff(this.#options.clock ? { clock: this.#options.clock } : {});
    const asked = { signal, maxBytes: this.#limits.maxListBytes };
    while (!signal.aborted) {
      try {
        const served = await servesResource(this.#rest, endpointSlices, asked);
        const exports = this.#options.exportRule === "service-export"
          ? await servedMcsVersion(this.#rest, serviceExports, asked)
          : undefined;
        this.#discovered = (this.#options.clock ?? realClock).now();
        this.#exportsServed = exports !== undefined;
        if (this.#options.exportRule === "service-export" && !exports) {
          this.#failed(new ServiceExportsMissingError(this.name), "discovery");
        }
        return { endpoints: served ? "endpointslices" : "endpoints", exports };
      } catch (error) {
        if (signal.aborted) return undefined;
        this.#failed(error, "discovery");
      }
      try {
        await backoff.wait(signal);
      } catch (error) {
        // The wait ends early only on abort; anything else is a bug to pass on.
        if (signal.aborted) return undefined;
        throw error;
      }
    }
    return undefined;
  }
}

/**
 * A source read under the `service-export` rule serves no ServiceExports
 * (the Multi-Cluster Services API's CRDs are not installed there): it
 * exports nothing until it is restarted with them.
 */
export class ServiceExportsMissingError extends Error {
  /** The source. */
  readonly source: string;

  /** Creates the error of `source`. */
  constructor(source: string) {
    super(
      `Source "${source}" serves no ServiceExports (${mcsGroup} ${
        mcsVersions.join(" or ")
      }): it exports nothing; install the Multi-Cluster Services API's CRDs there`,
    );
    this.name = "ServiceExportsMissingError";
    this.source = source;
  }
}
