/**
 * Write-to-watch latency of endpoint changes: a watch on one namespace's
 * EndpointSlices in the benchmark's process, and waiters that each resolve
 * when an event first shows one endpoint of one Service with a given
 * `ready` value. Matching is by the slice's `kubernetes.io/service-name`
 * label, so the same waiter serves a slice written directly and a mirror
 * slice written by a reflector.
 *
 * @module
 */

import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { endpointSlices } from "../../lib/kube/resource.ts";
import type { RestClient } from "../../lib/kube/rest.ts";
import { delay } from "../support/poll.ts";

/** One endpoint's expected readiness. */
export interface EndpointState {
  /** The Service the slice belongs to. */
  service: string;
  /** The endpoint's first address. */
  ip: string;
  ready: boolean;
}

interface Waiter extends EndpointState {
  resolve(at: number): void;
}

/** A watch of slices resolving waiters; stop it on dispose. */
export class SliceLatencyWatch implements AsyncDisposable {
  /** Errors the watch met (it restarts from its last version after each). */
  readonly errors: string[] = [];
  readonly #waiters = new Map<string, Waiter>();
  readonly #controller = new AbortController();
  readonly #done: Promise<void>;

  /** Watches `namespace` of the cluster `rest` reaches, from `resourceVersion` ("" for now). */
  constructor(rest: RestClient, namespace: string, resourceVersion = "") {
    this.#done = this.#run(rest, namespace, resourceVersion);
  }

  /**
   * Resolves with `performance.now()` at the first event showing `state`,
   * or with undefined if another wait on the same Service replaces it.
   */
  next(state: EndpointState): Promise<number | undefined> {
    this.#waiters.get(state.service)?.resolve(NaN);
    return new Promise<number>((resolve) => {
      this.#waiters.set(state.service, { ...state, resolve });
    }).then((at) => Number.isNaN(at) ? undefined : at);
  }

  /** Waits still unresolved. */
  get pending(): number {
    return this.#waiters.size;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#controller.abort();
    await this.#done;
    for (const waiter of this.#waiters.values()) waiter.resolve(NaN);
  }

  async #run(rest: RestClient, namespace: string, from: string): Promise<void> {
    let resourceVersion = from;
    const { signal } = this.#controller;
    while (!signal.aborted) {
      try {
        const events = rest.watch<EndpointSlice>(endpointSlices, {
          namespace,
          ...(resourceVersion ? { resourceVersion } : {}),
          signal,
        });
        for await (const event of events) {
          const at = performance.now();
          resourceVersion = event.object.metadata?.resourceVersion ?? resourceVersion;
          if (event.type === "ADDED" || event.type === "MODIFIED") this.#seen(event.object, at);
        }
      } catch (error) {
        this.errors.push(error instanceof Error ? error.message : String(error));
        await delay(100, signal).catch(() => {});
      }
    }
  }

  #seen(slice: EndpointSlice, at: number): void {
    const service = slice.metadata?.labels?.["kubernetes.io/service-name"];
    const waiter = service === undefined ? undefined : this.#waiters.get(service);
    if (!waiter) return;
    const shown = (slice.endpoints ?? []).some((endpoint) =>
      endpoint.addresses[0] === waiter.ip && (endpoint.conditions?.ready ?? true) === waiter.ready
    );
    if (!shown) return;
    this.#waiters.delete(waiter.service);
    waiter.resolve(at);
  }
}
