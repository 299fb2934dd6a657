/**
 * Keys that wait for their namespace to appear in the host (without
 * `--reflector.create-namespaces`): parked, at no cost, until the host's
 * namespace informer sees the namespace and wakes them. The check that
 * found the namespace missing and the parking run in one turn of the event
 * loop, so the informer cannot add it in between unseen.
 *
 * @module
 */

/** The keys parked, by namespace. */
export class NamespaceParking {
  readonly #waiting = new Map<string, Set<string>>();

  /** Parks `key` until `namespace` appears; true when it is the namespace's first key. */
  park(key: string, namespace: string): boolean {
    const keys = this.#waiting.get(namespace);
    if (keys) {
      keys.add(key);
      return false;
    }
    this.#waiting.set(namespace, new Set([key]));
    return true;
  }

  /** The keys parked for `namespace`, which are no longer parked. */
  wake(namespace: string): string[] {
    const keys = this.#waiting.get(namespace);
    this.#waiting.delete(namespace);
    return [...(keys ?? [])];
  }
}
