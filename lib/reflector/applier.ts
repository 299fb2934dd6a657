/**
 * Makes the host match what a host model wants for one key
 * (`desired_host.ts`), writing only what differs (compared by each kind's
 * field tables, `host_kind.ts`, so a no-op resync writes nothing), and never
 * touching what the Reflector does not own:
 *
 * - Whether an object is ours is its kind's to say (`../ownership.ts`).
 *   Deciding what to do about an owner object that is not ours is the
 *   reconcile's job: the applier refuses to write it. An owned object's
 *   name held by something not ours is a clash: a slotted object is written
 *   under a name the server generates, a single one is not written.
 * - The host caches the applier reads should hold only the Reflector's
 *   objects (but owners, whose name matters), and whatever else they hold
 *   is never written or deleted.
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

import type { Namespace } from "kubernetes-types/core/v1.d.ts";
import { type KubeObject, objectKey } from "../kube/object.ts";
import { namespaces, type ResourceType } from "../kube/resource.ts";
import type { RestClient } from "../kube/rest.ts";
import { isAlreadyExists, isNotFound, StatusError } from "../kube/status_error.ts";
import type { ReadonlyStore } from "../kube/store.ts";
import { managedByLabel, managedByValue, reflectedAnnotation } from "../ownership.ts";
import { compare } from "./_desired_endpoints.ts";
import { byService } from "./_informers.ts";
import type { DesiredHost, HostLayout } from "./desired_host.ts";
import type { HostKind, SlottedKind } from "./host_kind.ts";

/** Host caches the applier reads. */
export interface HostCaches {
  /** The host's namespaces (only the Reflector's one, under `--namespace`). */
  namespaces: ReadonlyStore<Namespace>;
  /**
   * The cache of each resource a kind writes, by resource name: every
   * owner object in the Reflector's scope (to see unowned ones too), the
   * Reflector's own other objects (slotted ones indexed by Service key,
   * `byService` of `_informers.ts`).
   */
  objects(resource: string): ReadonlyStore<KubeObject>;
}

/** A write the applier sent, for metrics and tests. */
export interface Write {
  /** `create`, `update` or `delete`. */
  verb: "create" | "update" | "delete";
  /** The resource written. */
  resource: string;
  /** `namespace/name` of the object (`/name` for a namespace). */
  key: string;
  /** The key the object was written for (none for a namespace). */
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
  /** The owner object as the host holds it after the apply. */
  owner: KubeObject;
  /** Names the key's objects asked for that were taken, in the order met. */
  clashes: NameClash[];
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

/** Options of {@linkcode Applier.apply} and {@linkcode Applier.remove}. */
export interface ApplyOptions {
  /** Sources whose slotted objects are left exactly as they are (not synced: their part is unknown). */
  keep?: ReadonlySet<string>;
  /** Aborts the writes in flight. */
  signal?: AbortSignal;
}

/** Writes desired host objects. */
export class Applier {
  readonly #options: ApplierOptions;

  /** Creates an applier; it holds no state between calls. */
  constructor(options: ApplierOptions) {
    this.#options = options;
  }

  /**
   * Makes the host objects of `desired`'s key match it: its owner first
   * (created, replaced when its kind cannot change it in place, or
   * updated), then the objects owned by the owner so written: each set by
   * slot (a kept source's left exactly as they are), each single at its key.
   *
   * The caller's duty: the host's owner object of the key, if any, is
   * ours, and the key's namespace exists (see {@linkcode Applier.hasNamespace}).
   *
   * @throws {NameTakenError} If the host holds an owner object of the key's
   * name that is not ours (nothing is written over it).
   */
  async apply(desired: DesiredHost, options: ApplyOptions = {}): Promise<ApplyResult> {
    const { keep = new Set<string>(), signal } = options;
    const { layout } = desired;
    const write = { key: layout.key, ...(signal ? { signal } : {}) };
    const existing = this.#cached(layout.owner, layout.key);
    if (existing && !layout.owner.owns(existing)) {
      throw new NameTakenError(layout.owner.type.resource, existing);
    }
    let owner = await this.#syncOwner(layout.owner, existing, desired.owner, write);
    const owned = desired.ownedBy({
      name: desired.owner.metadata?.name ?? "",
      uid: owner.metadata?.uid ?? "",
    });
    const clashes: NameClash[] = [];
    for (const [index, set] of layout.sets.entries()) {
      const wanted = owned.sets[index] ?? [];
      clashes.push(...await this.#syncSet(set.kind, set.serviceKey, wanted, keep, write));
    }
    const singles: (KubeObject | undefined)[] = [];
    for (const [index, single] of layout.singles.entries()) {
      const synced = await this.#syncSingle(single.kind, single.key, owned.singles[index], write);
      if (synced.clash) clashes.push(synced.clash);
      singles.push(synced.object);
    }
    const completed = desired.completed?.(singles) ?? desired.owner;
    if (completed !== desired.owner && !layout.owner.matches(owner, completed)) {
      owner = await this.#write(
        "update",
        layout.owner.type,
        layout.owner.updated(owner, completed),
        write,
      );
    }
    owner = await this.#syncStatus(layout.owner, owner, completed, write);
    return { owner, clashes };
  }

  /**
   * Withdraws every source's part of the objects of `layout` but the parts
   * of the sources in `options.keep` (not synced: they may still export
   * the key). With nothing kept, everything goes: the Reflector's slotted
   * and single objects, then the owner if that is ours (one that is not is
   * left alone). While a source is kept, its slotted objects, the owner and
   * the singles (one object for every source, so no source's part can be
   * told apart in it) stay as they are.
   */
  async remove(layout: HostLayout, options: ApplyOptions = {}): Promise<void> {
    const { keep = new Set<string>(), signal } = options;
    const write = { key: layout.key, ...(signal ? { signal } : {}) };
    for (const { kind, serviceKey } of layout.sets) {
      for (const object of this.#cachedSet(kind, serviceKey)) {
        if (kind.owns(object) && !keep.has(kind.source(object))) {
          await this.#delete(kind.type, object, write);
        }
      }
    }
    if (keep.size > 0) return;
    for (const { kind, key } of [...layout.singles, { kind: layout.owner, key: layout.key }]) {
      const object = this.#cached(kind, key);
      if (object && kind.owns(object)) await this.#delete(kind.type, object, write);
    }
  }

  /**
   * Writes the status subresource of `object` of `type`, for `options.key`:
   * the one write to an object the Reflector does not own (a ServiceExport's
   * conditions, which the Multi-Cluster Services API gives it to write).
   */
  async updateStatus<T extends KubeObject>(
    type: ResourceType,
    object: T,
    options: { key: string; signal?: AbortSignal },
  ): Promise<T> {
    return await this.#write("update", type, object, { ...options, subresource: "status" });
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
      }, { key: "", ...(options.signal ? { signal: options.signal } : {}) });
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
  }

  #cached(kind: HostKind, key: string): KubeObject | undefined {
    return this.#options.host.objects(kind.type.resource).get(key);
  }

  #cachedSet(kind: SlottedKind, serviceKey: string): KubeObject[] {
    return this.#options.host.objects(kind.type.resource).byIndex(byService, serviceKey);
  }

  /** The owner after making `cached` (ours, or none) match `desired`. */
  async #syncOwner(
    kind: HostKind,
    cached: KubeObject | undefined,
    desired: KubeObject,
    write: WriteContext,
  ): Promise<KubeObject> {
    let existing = cached;
    if (!existing) {
      const result = await this.#createOrRead(kind, desired, (found) => kind.owns(found), write);
      if ("created" in result) return result.created;
      existing = result.found;
    }
    if (kind.replaces?.(existing, desired)) {
      await this.#delete(kind.type, existing, write);
      return await this.#write("create", kind.type, desired, write);
    }
    if (kind.matches(existing, desired)) return existing;
    return await this.#write("update", kind.type, kind.updated(existing, desired), write);
  }

  /** `current` (the owner, ours) with the status of `desired` its kind owns, written if it differs. */
  async #syncStatus(
    kind: HostKind,
    current: KubeObject,
    desired: KubeObject,
    write: WriteContext,
  ): Promise<KubeObject> {
    if (!kind.status || kind.status.matches(current, desired)) return current;
    return await this.#write("update", kind.type, kind.status.updated(current, desired), {
      ...write,
      subresource: "status",
    });
  }

  /**
   * Makes the Reflector's objects of `kind` of `serviceKey` (but the kept
   * sources') match `desired`. A host object stands for the desired one of
   * the same slot, whatever its name; every other one (a slot no longer
   * wanted, a second object of one slot, one without a slot) is deleted
   * once the wanted ones are written, so endpoints never go missing in
   * between.
   */
  async #syncSet(
    kind: SlottedKind,
    serviceKey: string,
    desired: readonly KubeObject[],
    keep: ReadonlySet<string>,
    write: WriteContext,
  ): Promise<NameClash[]> {
    const { bySlot, extra } = bySlotOf(
      kind,
      this.#cachedSet(kind, serviceKey).filter((object) => !keep.has(kind.source(object))),
    );
    const clashes: NameClash[] = [];
    for (const object of desired) {
      const slot = kind.slot(object) ?? "";
      let current = bySlot.get(slot);
      bySlot.delete(slot);
      if (!current) {
        const created = await this.#createSlotted(kind, object, write);
        if (created.clash) clashes.push(created.clash);
        current = created.found;
      }
      if (current && !kind.matches(current, object)) {
        await this.#write("update", kind.type, kind.updated(current, object), write);
      }
    }
    for (const unwanted of [...bySlot.values(), ...extra]) {
      await this.#delete(kind.type, unwanted, write);
    }
    return clashes;
  }

  /**
   * Creates `object` under the name it asks for. When that name is held by
   * the Reflector's object of the same slot (written by an earlier attempt
   * the cache has not seen yet), that one is returned as `found`, for the
   * caller to compare. When anything else holds it, the object is created
   * under a name the server generates from the wanted one, so no foreign
   * object can keep a key from its endpoints, and the clash is returned.
   */
  async #createSlotted(
    kind: SlottedKind,
    object: KubeObject,
    write: WriteContext,
  ): Promise<{ found?: KubeObject; clash?: NameClash }> {
    const slot = kind.slot(object);
    const sameSlot = (found: KubeObject) => kind.slot(found) === slot;
    try {
      const result = await this.#createOrRead(kind, object, sameSlot, write);
      return "found" in result ? { found: result.found } : {};
    } catch (error) {
      if (!(error instanceof NameTakenError)) throw error;
      const wanted = object.metadata?.name ?? "";
      const { name: _, ...metadata } = object.metadata ?? {};
      const renamed = await this.#write("create", kind.type, {
        ...object,
        metadata: { ...metadata, generateName: `${wanted}-` },
      }, write);
      return {
        clash: { resource: kind.type.resource, wanted, holder: error.object, written: renamed },
      };
    }
  }

  /**
   * Makes the Reflector's object of `kind` at `key` match `desired`
   * (undefined: deleted), returning it as the host holds it after. A name
   * held by an object that is not ours is a clash when one is wanted:
   * nothing is written over it. A kind that `replaces` is replaced.
   */
  async #syncSingle(
    kind: HostKind,
    key: string,
    desired: KubeObject | undefined,
    write: WriteContext,
  ): Promise<{ object?: KubeObject; clash?: NameClash }> {
    let current = this.#cached(kind, key);
    if (current && !kind.owns(current)) {
      return desired
        ? { clash: { resource: kind.type.resource, wanted: key, holder: current } }
        : {};
    }
    if (!desired) {
      if (current) await this.#delete(kind.type, current, write);
      return {};
    }
    if (!current) {
      try {
        const result = await this.#createOrRead(kind, desired, (found) => kind.owns(found), write);
        if ("created" in result) return { object: result.created };
        current = result.found;
      } catch (error) {
        if (!(error instanceof NameTakenError)) throw error;
        return { clash: { resource: kind.type.resource, wanted: error.key, holder: error.object } };
      }
    }
    if (kind.replaces?.(current, desired)) {
      await this.#delete(kind.type, current, write);
      return { object: await this.#write("create", kind.type, desired, write) };
    }
    if (kind.matches(current, desired)) return { object: current };
    return {
      object: await this.#write("update", kind.type, kind.updated(current, desired), write),
    };
  }

  /** Creates or updates `object`, and tells the observer once the server accepted it. */
  async #write<T extends KubeObject>(
    verb: "create" | "update",
    type: ResourceType,
    object: T,
    write: WriteContext,
  ): Promise<T> {
    const options = {
      fieldManager: this.#options.fieldManager ?? "service-reflector",
      ...(write.signal ? { signal: write.signal } : {}),
    };
    const rest = this.#options.rest;
    try {
      const written = verb === "create"
        ? await rest.create(type, object, options)
        : await rest.update(type, object, {
          ...options,
          ...(write.subresource ? { subresource: write.subresource } : {}),
        });
      // The server's answer names it, even when it generated the name.
      this.#written(verb, type, written, write);
      return written;
    } catch (error) {
      this.#denied(error, verb, type, object, write);
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
  async #createOrRead(
    kind: HostKind,
    object: KubeObject,
    ours: (found: KubeObject) => boolean,
    write: WriteContext,
  ): Promise<{ created: KubeObject } | { found: KubeObject }> {
    try {
      return { created: await this.#write("create", kind.type, object, write) };
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
    const found = await this.#options.rest.get<KubeObject>(
      kind.type,
      object.metadata?.name ?? "",
      {
        namespace: object.metadata?.namespace ?? "",
        ...(write.signal ? { signal: write.signal } : {}),
      },
    );
    if (!ours(found)) throw new NameTakenError(kind.type.resource, found);
    return { found };
  }

  async #delete(type: ResourceType, object: KubeObject, write: WriteContext): Promise<void> {
    try {
      await this.#options.rest.delete(type, object.metadata?.name ?? "", {
        ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}),
        preconditions: { uid: object.metadata?.uid ?? "" },
        ...(write.signal ? { signal: write.signal } : {}),
      });
    } catch (error) {
      // Already gone is the goal reached.
      if (!isNotFound(error)) {
        this.#denied(error, "delete", type, object, write);
        throw error;
      }
    }
    this.#written("delete", type, object, write);
  }

  #written(verb: Write["verb"], type: ResourceType, object: KubeObject, write: WriteContext): void {
    this.#options.observer?.onWrite?.(writeOf(verb, type, object, write));
  }

  /** Tells the observer of `error` if it is the host refusing the write for want of a permission. */
  #denied(
    error: unknown,
    verb: Write["verb"],
    type: ResourceType,
    object: KubeObject,
    write: WriteContext,
  ): void {
    if (!(error instanceof StatusError) || (error.code !== 401 && error.code !== 403)) return;
    this.#options.observer?.onWriteDenied?.(writeOf(verb, type, object, write), error);
  }
}

/** What every write of one call shares: the key written for, and what aborts it. */
interface WriteContext {
  readonly key: string;
  readonly signal?: AbortSignal;
  /** The subresource written (`status`), for one write. */
  readonly subresource?: string;
}

/** The {@linkcode Write} of `verb` on `object` of `type`, written for `key`. */
function writeOf(
  verb: Write["verb"],
  type: ResourceType,
  object: KubeObject,
  write: WriteContext,
): Write {
  return {
    verb,
    resource: write.subresource ? `${type.resource}/${write.subresource}` : type.resource,
    key: `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`,
    mirror: write.key,
  };
}

/**
 * The Reflector's `objects` of `kind` by slot, one per slot (the one of
 * the lowest name, so every attempt keeps the same one), and the rest of
 * its own: objects without a slot and further objects of a slot. Objects
 * that are not the Reflector's are in neither.
 */
function bySlotOf(kind: SlottedKind, objects: readonly KubeObject[]): {
  bySlot: Map<string, KubeObject>;
  extra: KubeObject[];
} {
  const bySlot = new Map<string, KubeObject>();
  const extra: KubeObject[] = [];
  const byName = [...objects].sort((a, b) =>
    compare(a.metadata?.name ?? "", b.metadata?.name ?? "")
  );
  for (const object of byName.filter((each) => kind.owns(each))) {
    const slot = kind.slot(object);
    if (slot === undefined || bySlot.has(slot)) extra.push(object);
    else bySlot.set(slot, object);
  }
  return { bySlot, extra };
}
