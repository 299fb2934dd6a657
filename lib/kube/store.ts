/**
 * The informer's cache: objects by key (`namespace/name`), plus secondary
 * indexes (by namespace always, more on request), as client-go's indexer.
 *
 * Invariants: every index lists exactly the keys of the stored objects that
 * its function maps to that value; an object is replaced whole, never merged.
 * Stored objects are shared with every reader and must not be mutated.
 *
 * @module
 */

import { type KubeObject, objectKey } from "./object.ts";

/** Maps an object to the index values it is filed under (none, one or many). */
export type IndexFunction<T> = (object: T) => string[];

/** Read access to a {@linkcode Store}, what informers hand to their users. */
export interface ReadonlyStore<T extends KubeObject> {
  /** Number of objects. */
  readonly size: number;
  /** The object with `key` (`namespace/name` or `name`). */
  get(key: string): T | undefined;
  /** Every object, in no particular order. */
  list(): T[];
  /** Every key. */
  keys(): string[];
  /** Objects of one namespace. */
  byNamespace(namespace: string): T[];
  /** Objects filed under `value` in index `index`; throws RangeError for an unknown index. */
  byIndex(index: string, value: string): T[];
}

/** Options of {@linkcode Store}. */
export interface StoreOptions<T> {
  /** Extra indexes by name. `namespace` is always present and cannot be replaced. */
  indexers?: Record<string, IndexFunction<T>>;
}

const namespaceIndex = "namespace";

/** A keyed, indexed object cache. */
export class Store<T extends KubeObject> implements ReadonlyStore<T> {
  readonly #objects = new Map<string, T>();
  readonly #indexers: Map<string, IndexFunction<T>>;
  // index name -> index value -> keys filed there
  readonly #indexes = new Map<string, Map<string, Set<string>>>();

  /** Creates an empty store with the given indexes. */
  constructor(options: StoreOptions<T> = {}) {
    const extra = options.indexers ?? {};
    if (namespaceIndex in extra) {
      throw new TypeError(`Cannot create store as index "${namespaceIndex}" is built in`);
    }
    this.#indexers = new Map(Object.entries({
      ...extra,
      [namespaceIndex]: (object: T) => [object.metadata?.namespace ?? ""],
    }));
    for (const name of this.#indexers.keys()) this.#indexes.set(name, new Map());
  }

  get size(): number {
    return this.#objects.size;
  }

  get(key: string): T | undefined {
    return this.#objects.get(key);
  }

  list(): T[] {
    return [...this.#objects.values()];
  }

  keys(): string[] {
    return [...this.#objects.keys()];
  }

  byNamespace(namespace: string): T[] {
    return this.byIndex(namespaceIndex, namespace);
  }

  byIndex(index: string, value: string): T[] {
    const entries = this.#indexes.get(index);
    if (!entries) {
      throw new RangeError(
        `Cannot read index "${index}" as it does not exist: indexes are ${
          [...this.#indexes.keys()].join(", ")
        }`,
      );
    }
    const keys = entries.get(value);
    if (!keys) return [];
    return [...keys].map((key) => this.#objects.get(key) as T);
  }

  /** Stores `object` under its key and returns the object it replaced, if any. */
  set(object: T): T | undefined {
    const key = objectKey(object);
    const previous = this.#objects.get(key);
    if (previous) this.#unindex(key, previous);
    this.#objects.set(key, object);
    this.#index(key, object);
    return previous;
  }

  /** Removes the object with `key` and returns it, if it was there. */
  delete(key: string): T | undefined {
    const previous = this.#objects.get(key);
    if (!previous) return undefined;
    this.#unindex(key, previous);
    this.#objects.delete(key);
    return previous;
  }

  #index(key: string, object: T): void {
    for (const [name, indexer] of this.#indexers) {
      const entries = this.#indexes.get(name) as Map<string, Set<string>>;
      for (const value of indexer(object)) {
        let keys = entries.get(value);
        if (!keys) entries.set(value, keys = new Set());
        keys.add(key);
      }
    }
  }

  #unindex(key: string, object: T): void {
    for (const [name, indexer] of this.#indexers) {
      const entries = this.#indexes.get(name) as Map<string, Set<string>>;
      for (const value of indexer(object)) {
        const keys = entries.get(value);
        keys?.delete(key);
        if (keys?.size === 0) entries.delete(value);
      }
    }
  }
}
