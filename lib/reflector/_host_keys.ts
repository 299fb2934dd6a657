/**
 * Which host keys each source's Services bear on, and back: the one place
 * where a source's own keys (`namespace/name` of its Services) meet the
 * host's (the keys of what a host model writes for them). Sources cache by
 * their own keys and tell changes by them; a host model says which host
 * keys a Service bears on (its naming); this index remembers the answer,
 * so that a change also reaches the keys a Service bore on before it (a
 * Service renamed by an annotation leaves its old mirror behind), and the
 * reconcile of a host key finds its Services without scanning any source.
 *
 * Entries are per source instance, not per name: while a restarted source
 * syncs, the one it replaced still counts with its own cache, and each
 * answers for itself until the old one is dropped.
 *
 * @module
 */

/** The host keys of sources' Services, and the Services of each host key. */
export class HostKeys<S> {
  /** Per source, per source key: the host keys it bears on. */
  readonly #bySource = new Map<S, Map<string, readonly string[]>>();
  /** Per host key, per source: the source keys bearing on it. */
  readonly #byHostKey = new Map<string, Map<S, Set<string>>>();

  /**
   * Records that the Service `sourceKey` of `source` bears on `hostKeys`
   * (none: it is gone, or no longer exported), and returns every host key
   * the change bears on: those it bore on before and those it does now.
   */
  set(source: S, sourceKey: string, hostKeys: readonly string[]): string[] {
    const keys = this.#bySource.get(source) ?? new Map<string, readonly string[]>();
    const before = keys.get(sourceKey) ?? [];
    for (const hostKey of before) this.#unlink(hostKey, source, sourceKey);
    if (hostKeys.length === 0) keys.delete(sourceKey);
    else keys.set(sourceKey, hostKeys);
    if (keys.size === 0) this.#bySource.delete(source);
    else this.#bySource.set(source, keys);
    for (const hostKey of hostKeys) {
      const sources = this.#byHostKey.get(hostKey) ?? new Map<S, Set<string>>();
      sources.set(source, (sources.get(source) ?? new Set()).add(sourceKey));
      this.#byHostKey.set(hostKey, sources);
    }
    return [...new Set([...before, ...hostKeys])];
  }

  /** Every host key the Services of `source` bear on. */
  keysOf(source: S): string[] {
    return [...new Set([...this.#bySource.get(source)?.values() ?? []].flat())];
  }

  /** The source keys of `source` bearing on `hostKey`. */
  sourceKeys(source: S, hostKey: string): string[] {
    return [...this.#byHostKey.get(hostKey)?.get(source) ?? []];
  }

  /** The sources with a Service bearing on `hostKey`. */
  sourcesOf(hostKey: string): S[] {
    return [...this.#byHostKey.get(hostKey)?.keys() ?? []];
  }

  /** Forgets `source`, returning the host keys its Services bore on. */
  drop(source: S): string[] {
    const keys = this.keysOf(source);
    for (const [sourceKey, hostKeys] of this.#bySource.get(source) ?? []) {
      for (const hostKey of hostKeys) this.#unlink(hostKey, source, sourceKey);
    }
    this.#bySource.delete(source);
    return keys;
  }

  #unlink(hostKey: string, source: S, sourceKey: string): void {
    const sources = this.#byHostKey.get(hostKey);
    const sourceKeys = sources?.get(source);
    if (!sources || !sourceKeys) return;
    sourceKeys.delete(sourceKey);
    if (sourceKeys.size === 0) sources.delete(source);
    if (sources.size === 0) this.#byHostKey.delete(hostKey);
  }
}
