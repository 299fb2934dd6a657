/**
 * How the Reflector's informers (host and sources alike) are made: each is
 * level-based, so every add, update and delete of a cached object enqueues
 * the keys the object bears on (for an update, before and after it), never
 * the object; and every EndpointSlice
 * cache is indexed by the key of its Service, under one index name.
 *
 * @module
 */

import { Informer, type InformerOptions } from "../kube/informer.ts";
import { type KubeObject, sliceServiceKeys } from "../kube/object.ts";
import type { RestClient } from "../kube/rest.ts";
import type { IndexFunction } from "../kube/store.ts";

/** Name of the index by Service key on every EndpointSlice cache of the Reflector. */
export const byService = "service";

/** The indexers option of an EndpointSlice informer: {@linkcode byService}. */
export const sliceIndexers: Readonly<Record<string, IndexFunction<KubeObject>>> = {
  [byService]: sliceServiceKeys,
};

/** Options of {@linkcode keyedInformer}. */
export interface KeyedInformerOptions<T> extends InformerOptions<T> {
  /** The keys an object's change bears on (none to ignore it). */
  keysOf: (object: T) => string[];
  /** Called with each of them. */
  enqueue: (key: string) => void;
}

/** An informer, seen from whoever only starts it and waits for its first sync. */
export interface Runnable {
  /** Runs until `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
  /** Resolves once the cache first synced; rejects once `signal` aborts before. */
  synced(signal?: AbortSignal): Promise<void>;
}

/** An informer on `rest` whose every change calls `enqueue` with the keys of the object. */
export function keyedInformer<T extends KubeObject>(
  rest: RestClient,
  options: KeyedInformerOptions<T>,
): Informer<T> {
  const { keysOf, enqueue, ...informerOptions } = options;
  const informer = new Informer<T>(rest, informerOptions);
  const each = (object: T) => keysOf(object).forEach(enqueue);
  informer.addEventHandlers({
    onAdd: each,
    // An update can move an object from one key to another (a slice given
    // another Service's name): both the key it left and the one it joined
    // bear on it.
    onUpdate: (previous, object) =>
      new Set([...keysOf(previous), ...keysOf(object)]).forEach(enqueue),
    onDelete: each,
  });
  return informer;
}
