/**
 * Makes the host match a desired mirror (`desired.ts`), writing only what
 * differs (compared through `projection.ts`, so a no-op resync writes
 * nothing), and never touching what the Reflector does not own:
 *
 * - A host Service is ours if it carries this project's managed-by label or
 *   the original Go project's `reflected` annotation (adopted). Deciding
 *   what to do about one that is not ours is the reconcile's job: the
 *   applier refuses to write it.
 * - EndpointSlices and Endpoints are ours only through their labels. The
 *   host caches the applier reads should hold nothing else, and whatever
 *   else they hold is never written or deleted.
 * - Writes carry the resourceVersion read (updates) or the UID (deletes),
 *   so a concurrent change makes them fail with 409, and the key is retried
 *   from fresh caches rather than overwriting what it did not see.
 *
 * The applier decides nothing about outcomes: it computes no desired state
 * (it is handed one), it writes, it tells the observer of every write the
 * server accepted and of every one it refused for want of a permission
 * (401, 403), and a failed write rejects.
 *
 * @module
 */

import type { Endpoints, Namespace, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import {
  type KubeObject,
  objectKey,
  serviceNameLabel,
  sliceServiceKeys,
  splitObjectKey,
} from "../kube/object.ts";
import {
  endpoints,
  endpointSlices,
  namespaces,
  type ResourceType,
  services,
} from "../kube/resource.ts";
import type { RestClient } from "../kube/rest.ts";
import { isAlreadyExists, isNotFound, StatusError } from "../kube/status_error.ts";
import type { ReadonlyStore } from "../kube/store.ts";
import {
  isOurEndpoints,
  isOurSlice,
  isReflected,
  managedByLabel,
  managedByValue,
  reflectedAnnotation,
  sliceSlotLabel,
  sliceSource,
  sourceClusterLabel,
} from "../ownership.ts";
import { compare } from "./_desired_endpoints.ts";
import { byService } from "./_informers.ts";
import type { DesiredMirror } from "./desired.ts";
import {
  coreEndpointsProjection,
  mergedService,
  sameProjection,
  serviceProjection,
  sliceProjection,
  updatableInPlace,
} from "./projection.ts";

/** Host caches the applier reads. */
export interface HostCaches {
  /** The host's namespaces (only the Reflector's one, under `--namespace`). */
  namespaces: ReadonlyStore<Namespace>;
  /** Every Service in the Reflector's scope (to see unowned ones too). */
  services: ReadonlyStore<Service>;
  /** The Reflector's own EndpointSlices, indexed by Service key (`byService`, `_informers.ts`). */
  endpointSlices: ReadonlyStore<EndpointSlice>;
  /** The Reflector's own Endpoints. */
  endpoints: ReadonlyStore<Endpoints>;
}

/** A write the applier sent, for metrics and tests. */
export interface Write {
  /** `create`, `update` or `delete`. */
  verb: "create" | "update" | "delete";
  /** The resource written. */
  resource: string;
  /** `namespace/name` of the object (`/name` for a namespace). */
  key: string;
  /** The key of the mirror the object belongs to (its own for a Service; none for a namespace). */
  mirror: string;
}

/**
 * The host holds an object of the name a mirror needs that is not the
 * Reflector's (found when a create answered AlreadyExists before the host
 * caches had it). Nothing was written over it.
 */
export class NameTakenError extends Error {
  /** The resource, e.g. `services`. */
  readonly resource: string;
  /** `namespace/name` of the object in the way. */
  readonly key: string;
  /** The object in the way, as the host holds it. */
  readonly object: KubeObject;

  /** Creates the error for `object` of `resource`. */
  constructor(resource: string, object: KubeObject) {
    const key = objectKey(object);
    super(
      `Cannot write the mirror's ${resource} ${key} as the host has one of that name that service-reflector does not own`,
    );
    this.name = "NameTakenError";
    this.resource = resource;
    this.key = key;
    this.object = object;
  }
}

/**
 * A name a mirror's object asked for that the host holds something else
 * under, which the Reflector does not own: nothing was written over it.
 */
export interface NameClash {
  /** The resource, e.g. `endpointslices`. */
  resource: string;
  /** The name asked for. */
  wanted: string;
  /** What holds it, as the host holds it. */
  holder: KubeObject;
  /** The mirror's object as written under another name; undefined when it could not be (core Endpoints must bear the Service's name). */
  written?: KubeObject;
}

/** What {@linkcode Applier.apply} did, beyond its writes. */
export interface ApplyResult {
  /** The mirror Service as the host holds it after the apply. */
  service: Service;
  /** Names the mirror asked for that were taken, in the order met. */
  clashes: NameClash[];
  /**
   * Whether the apply removed a selector someone had added to the mirror
   * Service. The host's own controllers may have written endpoints for it
   * meanwhile, which they leave behind (see {@linkcode Applier.strays}).
   */
  selectorRemoved: boolean;
}

/** What an {@linkcode Applier} tells of its writes (part of the Reflector's observer). */
export interface WriteObserver {
  /** A write to the host was accepted by its server. */
  onWrite?(write: Write): void;
  /**
   * The host refused a write for want of a permission (`error` is its
   * 401 or 403); the reconcile fails with it and the key is retried. A
   * later `onWrite` of the same verb and resource tells it is allowed again.
   */
  onWriteDenied?(write: Write, error: StatusError): void;
}

/** Options of {@linkcode Applier}. */
export interface ApplierOptions {
  /** Client of the host cluster. */
  rest: RestClient;
  /** Host caches. */
  host: HostCaches;
  /** Field manager recorded on writes. Defaults to `service-reflector`. */
  fieldManager?: string;
  /** Told of every write (`onWrite`), and of each refused for want of a permission (`onWriteDenied`). */
  observer?: WriteObserver;
}

/** Options of {@linkcode Applier.apply}. */
export interface ApplyOptions {
  /** Sources whose slices are left exactly as they are (not synced: their part is unknown). */
  keep?: ReadonlySet<string>;
  /** Aborts the writes in flight. */
  signal?: AbortSignal;
}

/** Writes desired mirrors to the host. */
export class Applier {
  readonly #options: ApplierOptions;

  /** Creates an applier; it holds no state between calls. */
  constructor(options: ApplierOptions) {
    this.#options = options;
  }

  /**
   * Makes the host mirror of `mirror`'s key match it: its Service first
   * (created, replaced when a change cannot be made in place, or updated),
   * then the endpoint objects owned by the Service so written. Slices of
   * the sources in `options.keep` are left exactly as they are.
   *
   * The caller's duty: the host Service of the key, if any, is ours, and
   * the key's namespace exists (see {@linkcode Applier.hasNamespace}).
   *
   * A slice whose name is taken by an object that is not ours is written
   * under a name the server generates; core Endpoints, which must bear the
   * Service's name, are then not written. Both are told in the result.
   *
   * @throws {NameTakenError} If the host holds a Service of the mirror's name that is not ours
   * (nothing is written over it).
   */
  async apply(mirror: DesiredMirror, options: ApplyOptions = {}): Promise<ApplyResult> {
    const { keep = new Set<string>(), signal } = options;
    const key = objectKey(mirror.service);
    const existing = this.#options.host.services.get(key);
    if (existing && !isReflected(existing)) throw new NameTakenError(services.resource, existing);
    const selected = Object.keys(existing?.spec?.selector ?? {}).length > 0;
    const current = await this.#syncService(existing, mirror.service, signal);
    const owned = mirror.endpointsFor({
      name: mirror.service.metadata?.name ?? "",
      uid: current.metadata?.uid ?? "",
    });
    const clashes = await this.#syncSlices(key, owned.endpointSlices, keep, signal);
    const clash = await this.#syncEndpoints(key, owned.endpoints, signal);
    return {
      service: current,
      clashes: clash ? [...clashes, clash] : clashes,
      selectorRemoved: selected && Object.keys(current.spec?.selector ?? {}).length === 0,
    };
  }

  /**
   * The endpoint objects of the mirror Service `key` that are not the
   * Reflector's: EndpointSlices labelled with its name and core Endpoints of
   * its name. The host's own controllers write them while a selector is on
   * the Service and leave them once it is gone, and kube-proxy then routes
   * the mirror's traffic to them too. They are never written or deleted
   * here; read from the server, as the host caches hold only the
   * Reflector's own.
   */
  async strays(key: string, options: { signal?: AbortSignal } = {}): Promise<KubeObject[]> {
    const { namespace = "", name = "" } = splitObjectKey(key);
    const signal = options.signal ? { signal: options.signal } : {};
    const { items } = await this.#options.rest.list<EndpointSlice>(endpointSlices, {
      namespace,
      labelSelector: `${serviceNameLabel}=${name}`,
      ...signal,
    });
    const legacy = await this.#options.rest.get<Endpoints>(endpoints, name, {
      namespace,
      ...signal,
    })
      .catch((error) => {
        if (isNotFound(error)) return undefined;
        throw error;
      });
    return [
      // List items carry no kind; the report names it.
      ...items.filter((slice) => !isOurSlice(slice)).map((slice) => ({
        ...slice,
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
      })),
      ...(legacy && !isOurEndpoints(legacy) ? [legacy] : []),
    ];
  }

  /**
   * Withdraws every source's part of the mirror of `key` but the parts of
   * the sources in `options.keep` (not synced: they may still export it).
   * With nothing kept, the whole mirror goes: the Reflector's slices and
   * Endpoints of it, then its Service if that is ours (a same-named one
   * that is not is left alone). While a source is kept, its slices, the
   * Service and the core Endpoints (one object that merges every source,
   * so no source's part can be told apart in it) stay as they are.
   */
  async remove(key: string, options: ApplyOptions = {}): Promise<void> {
    const { keep = new Set<string>(), signal } = options;
    const { host } = this.#options;
    for (const slice of host.endpointSlices.byIndex(byService, key)) {
      if (!isOurSlice(slice) || keep.has(sliceSource(slice))) {
        continue;
      }
      await this.#delete(endpointSlices, slice, signal);
    }
    if (keep.size > 0) return;
    const legacy = host.endpoints.get(key);
    if (legacy && isOurEndpoints(legacy)) await this.#delete(endpoints, legacy, signal);
    const service = host.services.get(key);
    if (service && isReflected(service)) await this.#delete(services, service, signal);
  }

  /** Whether the host's namespace cache holds `namespace`. */
  hasNamespace(namespace: string): boolean {
    return this.#options.host.namespaces.get(namespace) !== undefined;
  }

  /**
   * Creates `namespace`, labelled as ours. One that exists already (the
   * cache had not seen it yet, or another worker created it for another key)
   * is the goal reached.
   */
  async createNamespace(namespace: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      await this.#write("create", namespaces, {
        metadata: {
          name: namespace,
          labels: { [managedByLabel]: managedByValue },
          annotations: { [reflectedAnnotation]: "true" },
        },
      }, options.signal);
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
  }

  /** The host Service after making `existing` (ours, or none) match `desired`. */
  async #syncService(
    cached: Service | undefined,
    desired: Service,
    signal?: AbortSignal,
  ): Promise<Service> {
    let existing = cached;
    if (!existing) {
      const result = await this.#createOrRead(services, desired, isReflected, signal);
      if ("created" in result) return result.created;
      existing = result.found;
    }
    if (!updatableInPlace(existing, desired)) {
      await this.#delete(services, existing, signal);
      return await this.#write("create", services, desired, signal);
    }
    const same = sameProjection(
      serviceProjection(existing, desired),
      serviceProjection(desired, desired),
    );
    if (same) return existing;
    return await this.#write("update", services, mergedService(existing, desired), signal);
  }

  /**
   * Makes the Reflector's slices of `key` (but the kept sources') match
   * `desired`. A host slice stands for the desired slice of the same source
   * and slot, whatever its name; every other one (a slot no longer wanted,
   * a second slice of one slot, one written before slots were labelled) is
   * deleted once the wanted ones are written, so endpoints never go missing
   * in between.
   */
  async #syncSlices(
    key: string,
    desired: EndpointSlice[],
    keep: ReadonlySet<string>,
    signal?: AbortSignal,
  ): Promise<NameClash[]> {
    const { bySlot, stale } = slicesBySlot(
      this.#options.host.endpointSlices.byIndex(byService, key)
        .filter((slice) => !keep.has(sliceSource(slice))),
    );
    const clashes: NameClash[] = [];
    for (const slice of desired) {
      const slot = slotOf(slice) ?? "";
      let current = bySlot.get(slot);
      bySlot.delete(slot);
      if (!current) {
        const created = await this.#createSlice(slice, signal);
        if (created.clash) clashes.push(created.clash);
        current = created.found;
      }
      if (current && !sameProjection(sliceProjection(current), sliceProjection(slice))) {
        await this.#write("update", endpointSlices, withVersion(slice, current), signal);
      }
    }
    for (const unwanted of [...bySlot.values(), ...stale]) {
      await this.#delete(endpointSlices, unwanted, signal);
    }
    return clashes;
  }

  /**
   * Creates `slice` under the name it asks for. When that name is held by
   * the Reflector's slice of the same slot (written by an earlier attempt
   * the cache has not seen yet), that slice is returned as `found`, for the
   * caller to compare. When anything else holds it, the slice is created
   * under a name the server generates from the wanted one, so no foreign
   * object can keep a mirror from its endpoints, and the clash is returned.
   */
  async #createSlice(
    slice: EndpointSlice,
    signal?: AbortSignal,
  ): Promise<{ found?: EndpointSlice; clash?: NameClash }> {
    const slot = slotOf(slice);
    const sameSlot = (found: EndpointSlice) => slotOf(found) === slot;
    try {
      const result = await this.#createOrRead(endpointSlices, slice, sameSlot, signal);
      return "found" in result ? { found: result.found } : {};
    } catch (error) {
      if (!(error instanceof NameTakenError)) throw error;
      const wanted = slice.metadata?.name ?? "";
      const { name: _, ...metadata } = slice.metadata ?? {};
      const renamed = await this.#write("create", endpointSlices, {
        ...slice,
        metadata: { ...metadata, generateName: `${wanted}-` },
      }, signal);
      return {
        clash: {
          resource: endpointSlices.resource,
          wanted,
          holder: error.object,
          written: renamed,
        },
      };
    }
  }

  async #syncEndpoints(
    key: string,
    desired: Endpoints | undefined,
    signal?: AbortSignal,
  ): Promise<NameClash | undefined> {
    let current = this.#options.host.endpoints.get(key);
    if (current && !isOurEndpoints(current)) {
      return desired && { resource: endpoints.resource, wanted: key, holder: current };
    }
    if (!desired) {
      if (current) await this.#delete(endpoints, current, signal);
      return undefined;
    }
    if (!current) {
      try {
        const result = await this.#createOrRead(endpoints, desired, isOurEndpoints, signal);
        if ("created" in result) return undefined;
        current = result.found;
      } catch (error) {
        if (!(error instanceof NameTakenError)) throw error;
        return { resource: endpoints.resource, wanted: error.key, holder: error.object };
      }
    }
    if (!sameProjection(coreEndpointsProjection(current), coreEndpointsProjection(desired))) {
      await this.#write("update", endpoints, withVersion(desired, current), signal);
    }
    return undefined;
  }

  /** Creates or updates `object`, and tells the observer once the server accepted it. */
  async #write<T extends KubeObject>(
    verb: "create" | "update",
    type: ResourceType,
    object: T,
    signal?: AbortSignal,
  ): Promise<T> {
    const options = {
      fieldManager: this.#options.fieldManager ?? "service-reflector",
      ...(signal ? { signal } : {}),
    };
    const rest = this.#options.rest;
    try {
      const written = verb === "create"
        ? await rest.create(type, object, options)
        : await rest.update(type, object, options);
      // The server's answer names it, even when it generated the name.
      this.#written(verb, type, written);
      return written;
    } catch (error) {
      this.#denied(error, verb, type, object);
      throw error;
    }
  }

  /**
   * Creates `object`, or, when the host answers AlreadyExists (its caches
   * had not seen an earlier write yet, or the name is taken), reads what
   * holds the name: an object that `ours` accepts is returned for the
   * caller to compare, anything else is a {@linkcode NameTakenError}. So a
   * lagging cache costs one read, never a failed reconcile.
   */
  async #createOrRead<T extends KubeObject>(
    type: ResourceType,
    object: T,
    ours: (found: T) => boolean,
    signal?: AbortSignal,
  ): Promise<{ created: T } | { found: T }> {
    try {
      return { created: await this.#write("create", type, object, signal) };
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
    const found = await this.#options.rest.get<T>(type, object.metadata?.name ?? "", {
      namespace: object.metadata?.namespace ?? "",
      ...(signal ? { signal } : {}),
    });
    if (!ours(found)) throw new NameTakenError(type.resource, found);
    return { found };
  }

  async #delete(type: ResourceType, object: KubeObject, signal?: AbortSignal): Promise<void> {
    try {
      await this.#options.rest.delete(type, object.metadata?.name ?? "", {
        ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}),
        preconditions: { uid: object.metadata?.uid ?? "" },
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      // Already gone is the goal reached.
      if (!isNotFound(error)) {
        this.#denied(error, "delete", type, object);
        throw error;
      }
    }
    this.#written("delete", type, object);
  }

  #written(verb: Write["verb"], type: ResourceType, object: KubeObject): void {
    this.#options.observer?.onWrite?.(writeOf(verb, type, object));
  }

  /** Tells the observer of `error` if it is the host refusing the write for want of a permission. */
  #denied(error: unknown, verb: Write["verb"], type: ResourceType, object: KubeObject): void {
    if (!(error instanceof StatusError) || (error.code !== 401 && error.code !== 403)) return;
    this.#options.observer?.onWriteDenied?.(writeOf(verb, type, object), error);
  }
}

/** The {@linkcode Write} of `verb` on `object` of `type`. */
function writeOf(verb: Write["verb"], type: ResourceType, object: KubeObject): Write {
  const key = `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
  const mirror = type === endpointSlices
    ? sliceServiceKeys(object)[0] ?? ""
    : type === namespaces
    ? ""
    : key;
  return { verb, resource: type.resource, key, mirror };
}

/** `desired` carrying `current`'s name, identity and version, for an update. */
function withVersion<T extends KubeObject>(desired: T, current: T): T {
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      name: current.metadata?.name ?? "",
      resourceVersion: current.metadata?.resourceVersion ?? "",
      uid: current.metadata?.uid ?? "",
    },
  };
}

/**
 * What identifies one of the Reflector's slices among all of them: its
 * Service, source and slot labels; undefined for a slice that is not the
 * Reflector's or carries no slot.
 */
function slotOf(slice: EndpointSlice): string | undefined {
  if (!isOurSlice(slice)) return undefined;
  const labels = slice.metadata?.labels ?? {};
  const parts = [serviceNameLabel, sourceClusterLabel, sliceSlotLabel].map((label) =>
    labels[label]
  );
  return parts.every((part) => part !== undefined) ? JSON.stringify(parts) : undefined;
}

/**
 * The Reflector's `slices` by slot, one per slot (the one of the lowest
 * name, so every attempt keeps the same one), and the rest of its own:
 * slices without a slot and further slices of a slot. Slices that are not
 * the Reflector's are in neither.
 */
function slicesBySlot(slices: readonly EndpointSlice[]): {
  bySlot: Map<string, EndpointSlice>;
  stale: EndpointSlice[];
} {
  const bySlot = new Map<string, EndpointSlice>();
  const stale: EndpointSlice[] = [];
  const byName = [...slices].sort((a, b) =>
    compare(a.metadata?.name ?? "", b.metadata?.name ?? "")
  );
  for (const slice of byName.filter(isOurSlice)) {
    const slot = slotOf(slice);
    if (slot === undefined || bySlot.has(slot)) stale.push(slice);
    else bySlot.set(slot, slice);
  }
  return { bySlot, stale };
}
