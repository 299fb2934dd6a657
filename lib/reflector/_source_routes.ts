/**
 * Where a source's changes go: for each host model, the host keys a
 * source's Service bears on (`_host_keys.ts`), turned into queue keys
 * (`queue_keys.ts`). A change of a Service reaches every key it bore on
 * and bears on now; a source that no longer counts is forgotten, its keys
 * and the keys of what each model wrote for it looked at once more.
 *
 * @module
 */

import { HostKeys } from "./_host_keys.ts";
import type { HostModel } from "./host_model.ts";
import { queueKey } from "./queue_keys.ts";
import type { Source } from "./source.ts";

/** Options of {@linkcode SourceRoutes}. */
export interface SourceRoutesOptions {
  /** The host models. */
  models: readonly HostModel[];
  /** Queues a queue key. */
  enqueue(queued: string): void;
  /** Told of each host key a change of `source` reaches, before it is queued. */
  onChanged?(source: string, key: string): void;
}

/** The routes from every source's Services to the models' queue keys. */
export class SourceRoutes {
  readonly #options: SourceRoutesOptions;
  readonly #keys = new Map<HostModel, HostKeys<Source>>();

  /** Creates the routes of `models`, none known yet. */
  constructor(options: SourceRoutesOptions) {
    this.#options = options;
    for (const model of options.models) this.#keys.set(model, new HostKeys());
  }

  /** The host keys of `model`. */
  keysOf(model: HostModel): HostKeys<Source> {
    const keys = this.#keys.get(model);
    if (!keys) throw new TypeError(`No host keys of model ${model.name}`);
    return keys;
  }

  /** Queues every key a change of the Service `sourceKey` of `source` reaches. */
  changed(source: Source, sourceKey: string): void {
    const service = source.service(sourceKey);
    for (const [model, keys] of this.#keys) {
      const now = service ? model.keysOf(service, source.name) : [];
      for (const key of keys.set(source, sourceKey, now)) {
        this.#options.onChanged?.(source.name, key);
        this.#options.enqueue(queueKey(model.name, key));
      }
    }
  }

  /**
   * The key of the first model that the Service `sourceKey` of `source`
   * bears on (per-source names make it another than the Service's own);
   * `sourceKey` itself when it bears on none.
   */
  hostKeyOf(source: Source, sourceKey: string): string {
    const service = source.service(sourceKey);
    const [model] = this.#keys.keys();
    return (service && model?.keysOf(service, source.name)[0]) ?? sourceKey;
  }

  /** Whether one of `counted` has a Service bearing on `key` of `model`. */
  claimed(model: HostModel, key: string, counted: readonly Source[]): boolean {
    return this.keysOf(model).sourcesOf(key).some((source) => counted.includes(source));
  }

  /** Queues, per model, the keys of the Services of `source`. */
  requeue(source: Source): void {
    for (const [model, keys] of this.#keys) {
      for (const key of keys.keysOf(source)) this.#options.enqueue(queueKey(model.name, key));
    }
  }

  /**
   * Queues, per model, the keys of its host objects written for the source
   * `name` and, when `released` (a source that no longer counts) is given,
   * the keys of its Services, which are forgotten.
   */
  requeueWritten(name: string, released?: Source): void {
    for (const [model, keys] of this.#keys) {
      const dropped = released ? keys.drop(released) : [];
      for (const key of new Set([...dropped, ...model.keysWrittenFor(name)])) {
        this.#options.enqueue(queueKey(model.name, key));
      }
    }
  }

  /**
   * Every queue key known: per model, the keys of the Services of
   * `counted` and those of the model's objects in the host.
   */
  everyKey(counted: readonly Source[]): Set<string> {
    const every = new Set<string>();
    for (const [model, keys] of this.#keys) {
      const known = [...counted.flatMap((source) => keys.keysOf(source)), ...model.heldKeys()];
      for (const key of known) every.add(queueKey(model.name, key));
    }
    return every;
  }

  /** Forgets `source`, which never counted. */
  forget(source: Source): void {
    for (const keys of this.#keys.values()) keys.drop(source);
  }
}
