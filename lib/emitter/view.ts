/**
 * What an Emitter serves: the Services of its cluster that pass its
 * selector, plus the Endpoints and EndpointSlices of exactly those
 * Services, and, where its cluster serves them, every ServiceExport (a
 * user's object, not filtered by the Services' selector: the MCS dialect
 * exports a Service by its ServiceExport), minus anything a Reflector
 * wrote (so that clusters reflecting each other never echo). The view is
 * derived from upstream informer caches and recomputed key by key as they
 * change.
 *
 * The Emitter has its own resourceVersion space: one counter, increased by
 * every change to the view, starting at the start time in milliseconds
 * times 1000. A restarted Emitter therefore starts above every version its
 * previous run handed out (a client resuming from one gets 410 and
 * relists), and upstream changes that do not change the view (an
 * unselected Service) never move it.
 *
 * @module
 */

import type { Endpoints, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { type Clock, realClock } from "../clock.ts";
import { type KubeObject, resourceVersionOf, sliceServiceKeys } from "../kube/object.ts";
import type { ReadonlyStore } from "../kube/store.ts";
import type { ServiceExport } from "../mcs/api.ts";
import { isReflected } from "../ownership.ts";
import { History } from "./history.ts";

/** The resources an Emitter serves. */
export type ServedKind = "services" | "endpoints" | "endpointslices" | "serviceexports";

/**
 * The kinds every Emitter serves, in a fixed order (ServiceExports only
 * where its cluster serves them).
 */
export const servedKinds: readonly ServedKind[] = ["services", "endpoints", "endpointslices"];

const viewKinds: readonly ServedKind[] = [...servedKinds, "serviceexports"];

/** One change of the view. */
export interface ServedEvent {
  /** Which resource changed. */
  readonly kind: ServedKind;
  /** What happened to the object in the view. */
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
  /** The Emitter resourceVersion of this change. */
  readonly resourceVersion: number;
  /** The object as served after the change (for DELETED: its last served state, at this version). */
  readonly object: KubeObject;
  /** The object as served before the change; undefined for ADDED. */
  readonly previous: KubeObject | undefined;
}

/** Upstream caches the view is derived from. */
export interface Upstream {
  /** Services of the Emitter's cluster. */
  services: ReadonlyStore<Service>;
  /** Endpoints of the Emitter's cluster. */
  endpoints: ReadonlyStore<Endpoints>;
  /** EndpointSlices, with the {@linkcode sliceServiceIndex} index. */
  endpointSlices: ReadonlyStore<EndpointSlice>;
  /**
   * ServiceExports, where the cluster serves them; read from
   * {@linkcode View.start} on, so it may be set until then.
   */
  serviceExports?: ReadonlyStore<ServiceExport>;
}

/** Name of the upstream EndpointSlice index by owning Service key (`namespace/service`). */
export const sliceServiceIndex = "service";

/** Options of {@linkcode View}. */
export interface ViewOptions {
  /** Whether a Service is exported (the `--emitter.selector` test). */
  selectsService: (service: Service) => boolean;
  /** Events kept per resource for watch replay. Defaults to 1000. */
  historySize?: number;
  /** Time source of the first resourceVersion. Defaults to the real clock. */
  clock?: Clock;
}

interface Entry {
  served: KubeObject;
  upstreamVersion: string;
}

/** The served state, its versions, its history and its change feed. */
export class View {
  readonly #upstream: Upstream;
  readonly #selects: (service: Service) => boolean;
  readonly #entries = new Map<ServedKind, Map<string, Entry>>();
  readonly #histories = new Map<ServedKind, History<ServedEvent>>();
  readonly #listeners = new Set<(event: ServedEvent) => void>();
  #resourceVersion: number;
  #started = false;

  /** Creates an empty view over `upstream`; nothing is served before {@linkcode View.start}. */
  constructor(upstream: Upstream, options: ViewOptions) {
    this.#upstream = upstream;
    this.#selects = options.selectsService;
    this.#resourceVersion = Math.floor((options.clock ?? realClock).now()) * 1000;
    for (const kind of viewKinds) {
      this.#entries.set(kind, new Map());
      this.#histories.set(kind, new History(options.historySize ?? 1000, this.#resourceVersion));
    }
  }

  /** The view's current resourceVersion. */
  get resourceVersion(): number {
    return this.#resourceVersion;
  }

  /** Whether {@linkcode View.start} ran (the upstream caches had synced). */
  get started(): boolean {
    return this.#started;
  }

  /** Served objects of `kind` by key, each carrying its Emitter resourceVersion. */
  objects(kind: ServedKind): IterableIterator<KubeObject> {
    return [...(this.#entries.get(kind) as Map<string, Entry>).values()].map((entry) =>
      entry.served
    )
      .values();
  }

  /** The served object of `kind` with `key`, if any. */
  get(kind: ServedKind, key: string): KubeObject | undefined {
    return this.#entries.get(kind)?.get(key)?.served;
  }

  /** Whether any object is served in `namespace`. */
  servesNamespace(namespace: string): boolean {
    for (const entries of this.#entries.values()) {
      for (const entry of entries.values()) {
        if (entry.served.metadata?.namespace === namespace) return true;
      }
    }
    return false;
  }

  /** The replay window of `kind`. */
  history(kind: ServedKind): History<ServedEvent> {
    return this.#histories.get(kind) as History<ServedEvent>;
  }

  /** Calls `listener` synchronously for every later change; returns the unsubscribe function. */
  subscribe(listener: (event: ServedEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Builds the view from the (synced) upstream caches, at the current version, without events. */
  start(): void {
    if (this.#started) return;
    for (const service of this.#upstream.services.list()) {
      this.#serviceChanged(keyOf(service), false);
    }
    for (const serviceExport of this.#upstream.serviceExports?.list() ?? []) {
      this.#recompute("serviceexports", keyOf(serviceExport), serviceExport, false);
    }
    this.#started = true;
  }

  /** Recomputes a Service and everything served because of it. */
  serviceChanged(key: string): void {
    if (this.#started) this.#serviceChanged(key, true);
  }

  /** Recomputes one Endpoints object. */
  endpointsChanged(key: string): void {
    if (this.#started) this.#recompute("endpoints", key, this.#upstream.endpoints.get(key), true);
  }

  /** Recomputes one EndpointSlice. */
  sliceChanged(key: string): void {
    if (this.#started) {
      this.#recompute("endpointslices", key, this.#upstream.endpointSlices.get(key), true);
    }
  }

  /** Recomputes one ServiceExport. */
  serviceExportChanged(key: string): void {
    if (this.#started) {
      this.#recompute("serviceexports", key, this.#upstream.serviceExports?.get(key), true);
    }
  }

  #serviceChanged(key: string, emit: boolean): void {
    this.#recompute("services", key, this.#upstream.services.get(key), emit);
    this.#recompute("endpoints", key, this.#upstream.endpoints.get(key), emit);
    const sliceKeys = new Set([
      ...this.#upstream.endpointSlices.byIndex(sliceServiceIndex, key).map(keyOf),
      // Slices served so far for this Service, in case their label moved.
      ...[...(this.#entries.get("endpointslices") as Map<string, Entry>)]
        .filter(([, entry]) => sliceServiceKeys(entry.served as EndpointSlice).includes(key))
        .map(([sliceKey]) => sliceKey),
    ]);
    for (const sliceKey of sliceKeys) {
      this.#recompute(
        "endpointslices",
        sliceKey,
        this.#upstream.endpointSlices.get(sliceKey),
        emit,
      );
    }
  }

  #serves(kind: ServedKind, object: KubeObject): boolean {
    if (isReflected(object)) return false;
    if (kind === "services") return this.#selects(object as Service);
    if (kind === "serviceexports") return true;
    const serviceKeys = kind === "endpoints"
      ? [keyOf(object)]
      : sliceServiceKeys(object as EndpointSlice);
    return serviceKeys.some((serviceKey) => {
      const service = this.#upstream.services.get(serviceKey);
      return service !== undefined && !isReflected(service) && this.#selects(service);
    });
  }

  #recompute(kind: ServedKind, key: string, upstream: KubeObject | undefined, emit: boolean): void {
    const entries = this.#entries.get(kind) as Map<string, Entry>;
    const current = entries.get(key);
    const wanted = upstream !== undefined && this.#serves(kind, upstream);
    if (wanted && current?.upstreamVersion === resourceVersionOf(upstream)) return;
    if (!wanted && !current) return;
    const version = emit ? ++this.#resourceVersion : this.#resourceVersion;
    if (!wanted) {
      entries.delete(key);
      if (current) {
        this.#publish(emit, {
          kind,
          type: "DELETED",
          resourceVersion: version,
          object: stamped(current.served, version),
          previous: current.served,
        });
      }
      return;
    }
    const served = stamped(upstream, version);
    entries.set(key, { served, upstreamVersion: resourceVersionOf(upstream) });
    this.#publish(emit, {
      kind,
      type: current ? "MODIFIED" : "ADDED",
      resourceVersion: version,
      object: served,
      previous: current?.served,
    });
  }

  #publish(emit: boolean, event: ServedEvent): void {
    if (!emit) return;
    this.history(event.kind).push(event);
    for (const listener of this.#listeners) listener(event);
  }
}

function keyOf(object: KubeObject): string {
  return `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
}

/**
 * A frozen copy of `object` carrying the Emitter resourceVersion `version`
 * and no type meta (lists omit it; single objects get it when rendered).
 */
function stamped(object: KubeObject, version: number): KubeObject {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = object;
  return Object.freeze({
    ...rest,
    metadata: { ...object.metadata, resourceVersion: String(version) },
  });
}
