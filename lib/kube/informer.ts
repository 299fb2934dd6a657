/**
 * An informer keeps a local cache of one resource in sync with a server,
 * with the semantics of client-go's reflector and shared informer:
 *
 * - It lists (every page, a consistent read), then watches from the list's
 *   resourceVersion with bookmarks; each event and bookmark advances that
 *   version, and a watch that ends is resumed from it without a relist.
 * - A 410 Gone/Expired (the version left the server's history) makes it
 *   relist; the relist turns objects that vanished meanwhile into deletions
 *   carrying their last known state.
 * - Every failure waits an exponential, jittered backoff (reset after a
 *   healthy period); a watch that ends at once without events counts as a
 *   failure, so a broken server never gets a tight loop.
 * - A watch has client-side bounds (`_watchdog.ts`), because a partition
 *   that drops packets keeps its connection open and silent: the server's
 *   answer within `openTimeoutMs`, a byte at least every `idleWatchMs`
 *   (bookmarks keep a healthy quiet watch talking), and an end within its
 *   own `timeoutSeconds` plus a margin. A bound that passes is a failure
 *   like any other, and the watch resumes from where the cache is.
 *
 * Bounds (`maxListPages`, `maxListBytes`, `maxLineBytes`, `maxObjects`)
 * cap what a server can make the informer hold: past one, the list or
 * watch fails with a `LimitExceededError` and is retried as any failure,
 * while the cache keeps what it held (a failed relist replaces nothing).
 *
 * Handlers run synchronously, in event order, on the informer's own loop:
 * they must be cheap (enqueue a key) and must not mutate the objects, which
 * are shared with the cache. A handler that throws is reported through
 * `onError` and does not stop the informer.
 *
 * @module
 */

import { Backoff, type BackoffOptions } from "./backoff.ts";
import { type Clock, realClock } from "../clock.ts";
import { LimitExceededError } from "./limit_error.ts";
import { type KubeObject, objectKey, resourceVersionOf, safeObjectKey } from "./object.ts";
import { resourcePath, type ResourceType } from "./resource.ts";
import type { RestClient } from "./rest.ts";
import { isGone, isTooManyRequests, StatusError } from "./status_error.ts";
import { type IndexFunction, type ReadonlyStore, Store } from "./store.ts";
import { cannot } from "../cannot.ts";
import { Watchdog } from "./_watchdog.ts";

/** Callbacks for changes to the cache. */
export interface EventHandlers<T> {
  /** A new object; `initialList` is true while the first list is delivered. */
  onAdd?(object: T, initialList: boolean): void;
  /** A changed object (its resourceVersion moved). */
  onUpdate?(oldObject: T, newObject: T): void;
  /**
   * A deleted object, in its last known state. `stateUnknown` is true when
   * the deletion was inferred from a relist: the object may have changed
   * before it was deleted.
   */
  onDelete?(object: T, stateUnknown: boolean): void;
}

/** What failed, for {@linkcode InformerOptions.onError}. */
export type InformerPhase = "list" | "watch" | "handler";

/** Options of {@linkcode Informer}. */
export interface InformerOptions<T> {
  /** The resource to cache. */
  type: ResourceType;
  /** Only this namespace; omitted for all. */
  namespace?: string;
  /** Only objects matching this label selector. */
  labelSelector?: string;
  /** Only objects matching this field selector. */
  fieldSelector?: string;
  /** Page size of lists. Defaults to 500. */
  pageSize?: number;
  /** Extra cache indexes. */
  indexers?: Record<string, IndexFunction<T>>;
  /**
   * Applied to every object before it is cached. Defaults to dropping
   * `metadata.managedFields`, which no consumer reads and which often is
   * the largest part of an object.
   */
  transform?: (object: T) => T;
  /** Bound on one encoded watch event. Defaults to 16 MiB. */
  maxLineBytes?: number;
  /** Most pages one list may take (`RestClient.list`'s `maxPages`). Omitted: no bound. */
  maxListPages?: number;
  /** Most bytes of one list, all its pages together. Omitted: no bound. */
  maxListBytes?: number;
  /**
   * Most objects a list may hold and the cache may grow to: a watch event
   * that would add one more fails the watch. Omitted: no bound.
   */
  maxObjects?: number;
  /**
   * Whether an object the server sent may be cached, asked before
   * `transform` of every listed object and every event's object. One it
   * refuses is not cached and no handler hears of it: the cache keeps the
   * version of that key it had, if any (a relist does not delete it), and a
   * deletion is still applied by key (`safeObjectKey`). It must not throw.
   * Defaults to admitting everything.
   */
  admit?: (object: T) => boolean;
  /** Watches last between this and twice this, chosen at random. Defaults to 300 s. */
  minWatchTimeoutSeconds?: number;
  /**
   * A watch from which no byte arrived for this long is broken: it is
   * ended and started again. Defaults to {@linkcode defaultIdleWatchMs}.
   */
  idleWatchMs?: number;
  /**
   * Bound on the wait for a watch's answer (its response's headers).
   * Defaults to 30 000 ms, the transport's bound on a request.
   */
  openTimeoutMs?: number;
  /** Retry pacing; defaults are client-go's (0.8 s doubling to 30 s, reset after 2 min). */
  backoff?: BackoffOptions;
  /** Time source. Defaults to the real clock. */
  clock?: Clock;
  /** Reports list, watch and handler failures; the informer recovers by itself. */
  onError?: (error: unknown, phase: InformerPhase) => void;
}

/** Counters, for tests and metrics. */
export interface InformerStats {
  /** Lists completed. */
  lists: number;
  /** Watches opened. */
  watches: number;
  /** Events applied (bookmarks excluded). */
  events: number;
  /** Failures of lists and watches. */
  failures: number;
}

/** Whether an informer reaches its server now, and when it last did. */
export interface InformerHealth {
  /**
   * True from a successful list, an accepted watch or an event until the
   * next failure of a list or watch; false before the first contact.
   */
  connected: boolean;
  /** Clock time (ms) of the last successful list, accepted watch or byte of one; undefined before. */
  lastContactMs: number | undefined;
  /**
   * Clock time (ms) of the first failure since the last contact (or since
   * the start): when contact was lost. Undefined while connected.
   */
  lostSinceMs: number | undefined;
}

/**
 * Default of `idleWatchMs`: 2.5 times the 60 s between the BOOKMARK events
 * of kube-apiserver (its watch cache's bookmark frequency) and of the
 * Emitter, so a healthy watch that is quiet misses two bookmarks before it
 * is taken as broken.
 */
export const defaultIdleWatchMs = 150_000;

/**
 * How long past its own `timeoutSeconds` a watch may stay open: the server
 * ends it then, so an open one is a stream that no longer arrives.
 */
export const watchDeadlineMarginMs = 30_000;

/** A watch that ends sooner than this without events counts as a failure. */
const shortWatchMs = 1_000;

/** Lists and watches one resource into a {@linkcode ReadonlyStore}. */
export class Informer<T extends KubeObject> {
  readonly #rest: RestClient;
  readonly #options: InformerOptions<T>;
  readonly #store: Store<T>;
  readonly #handlers = new Set<EventHandlers<T>>();
  readonly #clock: Clock;
  readonly #backoff: Backoff;
  readonly #synced = Promise.withResolvers<void>();
  readonly #stats: InformerStats = { lists: 0, watches: 0, events: 0, failures: 0 };
  readonly #health: InformerHealth = {
    connected: false,
    lastContactMs: undefined,
    lostSinceMs: undefined,
  };
  /** Whether no watch ran healthy (see `shortWatchMs`) since the last list. */
  #watchFollowsList = false;
  /** Ends the backoff wait in progress, if any (see {@linkcode Informer.retryNow}). */
  #wake: AbortController | undefined;
  #hasSynced = false;
  #resourceVersion = "";
  #running = false;
  // While fills run: the keys the watch deleted since the first began.
  #fills = 0;
  readonly #deletedDuringFills = new Set<string>();

  /** Creates an informer; nothing is sent before {@linkcode Informer.run}. */
  constructor(rest: RestClient, options: InformerOptions<T>) {
    const { pageSize = 500, minWatchTimeoutSeconds = 300 } = options;
    for (const name of ["idleWatchMs", "openTimeoutMs"] as const) {
      const value = options[name];
      if (value !== undefined && !(value > 0)) {
        throw new RangeError(
          cannot("create informer", `'${name}' must be a positive number`, value),
        );
      }
    }
    if (!Number.isInteger(pageSize) || pageSize < 1) {
      throw new RangeError(
        cannot("create informer", "'pageSize' must be a positive integer", pageSize),
      );
    }
    if (!(minWatchTimeoutSeconds >= 1)) {
      throw new RangeError(
        cannot(
          "create informer",
          "'minWatchTimeoutSeconds' must be at least 1",
          minWatchTimeoutSeconds,
        ),
      );
    }
    for (const name of ["maxListPages", "maxListBytes", "maxObjects"] as const) {
      const value = options[name];
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
        throw new RangeError(
          cannot("create informer", `'${name}' must be a positive integer`, value),
        );
      }
    }
    this.#rest = rest;
    this.#options = options;
    this.#clock = options.clock ?? realClock;
    this.#store = new Store<T>(options.indexers ? { indexers: options.indexers } : {});
    this.#backoff = new Backoff({ clock: this.#clock, ...options.backoff });
    // Rejections of #synced surface through synced(); this keeps an unawaited one quiet.
    this.#synced.promise.catch(() => {});
  }

  /** The cache. Empty until the first list completes. */
  get store(): ReadonlyStore<T> {
    return this.#store;
  }

  /** Whether the first list has been delivered to the cache and handlers. */
  get hasSynced(): boolean {
    return this.#hasSynced;
  }

  /** The resourceVersion the cache is at ("" before the first list). */
  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  /** Whether the server is reached now, and when it last was. */
  get health(): Readonly<InformerHealth> {
    return { ...this.#health };
  }

  /** Counters since creation. */
  get stats(): Readonly<InformerStats> {
    return { ...this.#stats };
  }

  /**
   * Ends a wait between attempts at once, so the next list or watch is
   * sent now: for a caller that learnt the server answers again. Does
   * nothing while no wait is in progress.
   */
  retryNow(): void {
    this.#wake?.abort();
  }

  /**
   * Registers handlers and returns a function that removes them. Handlers
   * added after the first list receive the cached objects as additions.
   */
  addEventHandlers(handlers: EventHandlers<T>): () => void {
    this.#handlers.add(handlers);
    if (this.#hasSynced) {
      for (const object of this.#store.list()) this.#call(handlers, "onAdd", object, true);
    }
    return () => this.#handlers.delete(handlers);
  }

  /**
   * Lists what `labelSelector` selects (in `namespace`, within the
   * informer's own namespace and selectors) and caches each admitted
   * object the cache lacks, as an addition: for an `admit` that starts
   * admitting objects it refused before (their Service became wanted, say).
   * An object already cached is newer or as new, and stays; one the watch
   * deleted while the list ran is not brought back. Throws what the list
   * throws; nothing is cached then.
   */
  async fill(
    selection: { namespace?: string; labelSelector: string },
    signal?: AbortSignal,
  ): Promise<void> {
    const { type, namespace, labelSelector, fieldSelector } = this.#options;
    if (namespace && selection.namespace && selection.namespace !== namespace) return;
    const inNamespace = namespace || selection.namespace;
    this.#fills++;
    try {
      const list = await this.#rest.list<T>(type, {
        ...(inNamespace ? { namespace: inNamespace } : {}),
        labelSelector: [labelSelector, selection.labelSelector].filter(Boolean).join(","),
        ...(fieldSelector ? { fieldSelector } : {}),
        limit: this.#options.pageSize ?? 500,
        ...(this.#options.maxListBytes ? { maxBytes: this.#options.maxListBytes } : {}),
        ...(signal ? { signal } : {}),
      });
      for (const object of list.items) {
        const key = safeObjectKey(object);
        if (key === undefined || this.#store.get(key) || this.#deletedDuringFills.has(key)) {
          continue;
        }
        if (this.#admits(object)) this.#applyAdmitted("ADDED", this.#transform(object));
      }
    } finally {
      if (--this.#fills === 0) this.#deletedDuringFills.clear();
    }
  }

  /**
   * Drops the objects of `keys` from the cache, telling handlers of each as
   * a deletion: for an `admit` that stops admitting them.
   */
  forget(keys: Iterable<string>): void {
    for (const key of keys) {
      const gone = this.#store.delete(key);
      if (gone) this.#emit("onDelete", gone, false);
    }
  }

  /** Resolves once the first list is in the cache; rejects with the reason if `signal` aborts first. */
  synced(signal?: AbortSignal): Promise<void> {
    if (!signal) return this.#synced.promise;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      this.#synced.promise.then(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      });
    });
  }

  /**
   * Lists and watches until `signal` aborts, then resolves. Failures are
   * retried forever (reported through `onError`); it never rejects. After a
   * run ended it may run again: it resumes watching from where the cache is,
   * and relists only if that version is gone.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) {
      throw new Error(`Cannot run the ${this.#options.type.resource} informer while it runs`);
    }
    this.#running = true;
    try {
      await this.#loop(signal);
    } finally {
      this.#running = false;
    }
  }

  async #loop(signal: AbortSignal): Promise<void> {
    let mustList = !this.#hasSynced;
    while (!signal.aborted) {
      try {
        if (mustList) {
          await this.#list(signal);
          mustList = false;
        }
        mustList = await this.#watch(signal);
      } catch (error) {
        if (signal.aborted) break;
        this.#stats.failures++;
        this.#health.connected = false;
        this.#health.lostSinceMs ??= this.#clock.now();
        this.#report(error, mustList ? "list" : "watch");
        // A refused watch (403, 500, ...) may mean the server lost our view
        // of the world; start again from a list. Transport failures and broken
        // streams resume the watch from the last version.
        if (error instanceof StatusError) mustList = true;
        const retryAfter = isTooManyRequests(error)
          ? (error as StatusError).retryAfterSeconds
          : undefined;
        const wake = new AbortController();
        this.#wake = wake;
        const waiting = AbortSignal.any([signal, wake.signal]);
        try {
          await (retryAfter
            ? this.#clock.sleep(retryAfter * 1000, waiting)
            : this.#backoff.wait(waiting));
        } catch {
          if (signal.aborted) break;
        } finally {
          this.#wake = undefined;
        }
      }
    }
  }

  async #list(signal: AbortSignal): Promise<void> {
    const { type, namespace, labelSelector, fieldSelector, pageSize = 500 } = this.#options;
    const { maxListPages, maxListBytes, maxObjects } = this.#options;
    const list = await this.#rest.list<T>(type, {
      ...(namespace ? { namespace } : {}),
      ...(labelSelector ? { labelSelector } : {}),
      ...(fieldSelector ? { fieldSelector } : {}),
      limit: pageSize,
      ...(maxListPages ? { maxPages: maxListPages } : {}),
      ...(maxListBytes ? { maxBytes: maxListBytes } : {}),
      ...(maxObjects ? { maxItems: maxObjects } : {}),
      signal,
    });
    const admitted: T[] = [];
    const refused = new Set<string>();
    for (const object of list.items) {
      if (this.#admits(object)) {
        admitted.push(this.#transform(object));
        continue;
      }
      const key = safeObjectKey(object);
      if (key !== undefined) refused.add(key);
    }
    this.#replace(admitted, refused);
    this.#resourceVersion = list.resourceVersion;
    this.#stats.lists++;
    this.#watchFollowsList = true;
    this.#contact();
    if (!this.#hasSynced) {
      this.#hasSynced = true;
      this.#synced.resolve();
    }
  }

  /**
   * Watches from the current resourceVersion until the watch ends. Returns
   * true if a relist is needed (410), false to resume the watch. Throws on
   * other failures and on a watch too short to be healthy.
   */
  async #watch(signal: AbortSignal): Promise<boolean> {
    const { type, namespace, labelSelector, fieldSelector, maxLineBytes } = this.#options;
    const { minWatchTimeoutSeconds = 300 } = this.#options;
    const { idleWatchMs = defaultIdleWatchMs, openTimeoutMs = 30_000 } = this.#options;
    const started = this.#clock.now();
    const timeoutSeconds = Math.floor(minWatchTimeoutSeconds * (1 + Math.random()));
    const path = resourcePath(type, namespace ? { namespace } : {});
    const watchdog = new Watchdog({
      request: `WATCH ${this.#rest.transport.url(path)}`,
      openTimeoutMs,
      idleMs: idleWatchMs,
      deadlineMs: timeoutSeconds * 1000 + watchDeadlineMarginMs,
      clock: this.#clock,
    });
    let events = 0;
    this.#stats.watches++;
    try {
      for await (
        const event of this.#rest.watch<T>(type, {
          ...(namespace ? { namespace } : {}),
          ...(labelSelector ? { labelSelector } : {}),
          ...(fieldSelector ? { fieldSelector } : {}),
          resourceVersion: this.#resourceVersion,
          allowWatchBookmarks: true,
          ...(maxLineBytes ? { maxLineBytes } : {}),
          timeoutSeconds,
          onOpen: () => {
            watchdog.opened();
            this.#contact();
          },
          onData: () => {
            watchdog.heard();
            this.#contact();
          },
          signal: AbortSignal.any([signal, watchdog.signal]),
        })
      ) {
        events++;
        this.#apply(event.type, event.object);
      }
    } catch (error) {
      const healthy = events > 0 || this.#clock.now() - started >= shortWatchMs;
      if (healthy) this.#watchFollowsList = false;
      // A watch that ran and then expired relists at once, and so does one
      // resuming a version older than a restarted server's history; a
      // server that answers the watch after a fresh list with 410 gets the
      // backoff like any failure.
      if (isGone(error) && (healthy || !this.#watchFollowsList)) return true;
      throw error;
    } finally {
      watchdog.stop();
    }
    if (events > 0 || this.#clock.now() - started >= shortWatchMs) this.#watchFollowsList = false;
    // The watch returns quietly when its signal aborts, the watchdog's included.
    if (!signal.aborted && watchdog.signal.aborted) throw watchdog.signal.reason;
    if (!signal.aborted && events === 0 && this.#clock.now() - started < shortWatchMs) {
      throw new Error(
        `The ${type.resource} watch ended after ${
          Math.round(this.#clock.now() - started)
        } ms without any event`,
      );
    }
    return false;
  }

  #contact(): void {
    this.#health.connected = true;
    this.#health.lastContactMs = this.#clock.now();
    this.#health.lostSinceMs = undefined;
  }

  #apply(type: string, raw: T): void {
    const version = resourceVersionOf(raw);
    if (type === "BOOKMARK") {
      if (version) this.#resourceVersion = version;
      return;
    }
    if (type === "DELETED" && this.#fills > 0) {
      const key = safeObjectKey(raw);
      if (key !== undefined) this.#deletedDuringFills.add(key);
    }
    if (!this.#admits(raw)) {
      // Refused: the cache keeps its version, but a deletion still deletes.
      const key = type === "DELETED" ? safeObjectKey(raw) : undefined;
      const previous = key === undefined ? undefined : this.#store.delete(key);
      if (previous) this.#emit("onDelete", previous, false);
    } else {
      this.#applyAdmitted(type, this.#transform(raw));
    }
    this.#stats.events++;
    if (version) this.#resourceVersion = version;
  }

  #applyAdmitted(type: string, object: T): void {
    if (type === "DELETED") {
      const previous = this.#store.delete(objectKey(object));
      this.#emit("onDelete", previous ?? object, false);
      return;
    }
    const { maxObjects } = this.#options;
    if (maxObjects && this.#store.size >= maxObjects && !this.#store.get(objectKey(object))) {
      const { type: resource, namespace } = this.#options;
      const path = resourcePath(resource, namespace ? { namespace } : {});
      throw new LimitExceededError({
        request: `WATCH ${this.#rest.transport.url(path)}`,
        limit: "maxObjects",
        max: maxObjects,
        detail: `${objectKey(object)} would be object ${this.#store.size + 1} in the cache`,
      });
    }
    const previous = this.#store.set(object);
    if (previous) this.#emitUpdate(previous, object);
    else this.#emit("onAdd", object, !this.#hasSynced);
  }

  #admits(object: T): boolean {
    return this.#options.admit?.(object) ?? true;
  }

  /**
   * Makes the cache equal `objects`, emitting the differences; the objects
   * of the keys in `refused` stay as they are.
   */
  #replace(objects: T[], refused: ReadonlySet<string>): void {
    const listed = new Set<string>(refused);
    for (const object of objects) {
      const key = objectKey(object);
      listed.add(key);
      const previous = this.#store.get(key);
      if (previous && resourceVersionOf(previous) === resourceVersionOf(object)) continue;
      this.#store.set(object);
      if (previous) this.#emitUpdate(previous, object);
      else this.#emit("onAdd", object, !this.#hasSynced);
    }
    for (const key of this.#store.keys()) {
      if (listed.has(key)) continue;
      const gone = this.#store.delete(key) as T;
      this.#emit("onDelete", gone, true);
    }
  }

  #transform(object: T): T {
    if (this.#options.transform) return this.#options.transform(object);
    if (!object.metadata?.managedFields) return object;
    const { managedFields: _, ...metadata } = object.metadata;
    return { ...object, metadata };
  }

  #emit(kind: "onAdd" | "onDelete", object: T, flag: boolean): void {
    for (const handlers of this.#handlers) this.#call(handlers, kind, object, flag);
  }

  #emitUpdate(previous: T, object: T): void {
    for (const handlers of this.#handlers) {
      try {
        handlers.onUpdate?.(previous, object);
      } catch (error) {
        this.#report(error, "handler");
      }
    }
  }

  #call(handlers: EventHandlers<T>, kind: "onAdd" | "onDelete", object: T, flag: boolean): void {
    try {
      handlers[kind]?.(object, flag);
    } catch (error) {
      this.#report(error, "handler");
    }
  }

  #report(error: unknown, phase: InformerPhase): void {
    try {
      this.#options.onError?.(error, phase);
    } catch {
      // A failing reporter must not stop the informer.
    }
  }
}
