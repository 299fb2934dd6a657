/**
 * One source cluster as the Reflector sees it: a name, a client, and
 * informers on its selected Services and on their endpoints. EndpointSlices
 * are used where the source serves `discovery.k8s.io/v1`; a source that
 * serves only core v1 Endpoints (the original Go Emitter) is read through
 * those instead, decided from its discovery document when the source is
 * first reached.
 *
 * A source that cannot be reached degrades only itself: it retries with
 * backoff and reports not synced, and the Reflector keeps its mirrors as
 * they are until it syncs again.
 *
 * @module
 */

import type { Endpoints, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { Backoff } from "../kube/backoff.ts";
import type { ClientConfig } from "../kube/config/client_config.ts";
import type { Clock } from "../clock.ts";
import { servesResource } from "../kube/discovery.ts";
import { Informer, type InformerPhase } from "../kube/informer.ts";
import { type KubeObject, objectKey } from "../kube/object.ts";
import { endpoints, endpointSlices, services } from "../kube/resource.ts";
import { RestClient } from "../kube/rest.ts";
import { Transport } from "../kube/transport.ts";
import { isReflected } from "../ownership.ts";
import type { SourceObjects } from "./desired.ts";

/** How a source's endpoints are read. */
export type EndpointsMode = "endpointslices" | "endpoints";

/** Options of {@linkcode Source}. */
export interface SourceOptions {
  /** Source name: a label value naming the source on every mirror. */
  name: string;
  /** How to reach the source. */
  config: ClientConfig;
  /** Label selector on the source's Services (`--reflector.selector`). */
  selector: string;
  /** Only this namespace of the source; omitted for all. */
  namespace?: string;
  /** Time source. */
  clock?: Clock;
  /** Told of discovery and informer failures (the source recovers by itself). */
  onError?: (error: unknown, phase: InformerPhase | "discovery") => void;
  /** Told which endpoints API was chosen, once. */
  onMode?: (mode: EndpointsMode) => void;
}

const serviceIndex = "service";

function serviceKeys(object: EndpointSlice): string[] {
  const service = object.metadata?.labels?.["kubernetes.io/service-name"];
  return service ? [`${object.metadata?.namespace ?? ""}/${service}`] : [];
}

/** A source cluster's selected Services and endpoints. */
export class Source {
  /** The source's name. */
  readonly name: string;
  readonly #options: SourceOptions;
  readonly #transport: Transport;
  readonly #rest: RestClient;
  readonly #listeners = new Set<(key: string) => void>();
  #services: Informer<Service> | undefined;
  #slices: Informer<EndpointSlice> | undefined;
  #endpoints: Informer<Endpoints> | undefined;

  /** Creates the source; nothing is sent before {@linkcode Source.run}. */
  constructor(options: SourceOptions) {
    this.name = options.name;
    this.#options = options;
    this.#transport = new Transport(options.config);
    this.#rest = new RestClient(this.#transport);
  }

  /** The endpoints API in use, once decided. */
  get mode(): EndpointsMode | undefined {
    return this.#slices ? "endpointslices" : this.#endpoints ? "endpoints" : undefined;
  }

  /** Whether every informer of the source has synced. */
  get synced(): boolean {
    const endpointsSynced = this.#slices?.hasSynced ?? this.#endpoints?.hasSynced ?? false;
    return (this.#services?.hasSynced ?? false) && endpointsSynced;
  }

  /** Calls `listener` with the Service key of every change. */
  onChange(listener: (key: string) => void): void {
    this.#listeners.add(listener);
  }

  /** Keys of every selected Service in the cache. */
  keys(): string[] {
    return this.#services?.store.keys() ?? [];
  }

  /** The source objects for `key`, or undefined if the source does not export it. */
  objectsFor(key: string): SourceObjects | undefined {
    const service = this.#services?.store.get(key);
    // A mirror in the source is never reflected back: no echo between
    // clusters that reflect each other.
    if (!service || isReflected(service)) return undefined;
    if (this.#slices) {
      const slices = this.#slices.store.byIndex(serviceIndex, key).filter((slice) =>
        !isReflected(slice)
      );
      return { source: this.name, service, endpointSlices: slices };
    }
    const legacy = this.#endpoints?.store.get(key);
    return { source: this.name, service, ...(legacy ? { endpoints: legacy } : {}) };
  }

  /** Decides the endpoints API, then runs the informers until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const mode = await this.#discover(signal);
    if (!mode) return this.#transport.close();
    this.#options.onMode?.(mode);
    const scope = this.#options.namespace ? { namespace: this.#options.namespace } : {};
    const common = {
      ...scope,
      ...(this.#options.clock ? { clock: this.#options.clock } : {}),
      onError: (error: unknown, phase: InformerPhase) => this.#options.onError?.(error, phase),
    };
    const notify = (key: string) => {
      for (const listener of this.#listeners) listener(key);
    };
    this.#services = this.#inform<Service>(
      new Informer<Service>(this.#rest, {
        type: services,
        labelSelector: this.#options.selector,
        ...common,
      }),
      (service) => [objectKey(service)],
      notify,
    );
    if (mode === "endpointslices") {
      this.#slices = this.#inform<EndpointSlice>(
        new Informer<EndpointSlice>(this.#rest, {
          type: endpointSlices,
          indexers: { [serviceIndex]: serviceKeys },
          ...common,
        }),
        serviceKeys,
        notify,
      );
    } else {
      this.#endpoints = this.#inform<Endpoints>(
        new Informer<Endpoints>(this.#rest, { type: endpoints, ...common }),
        (object) => [objectKey(object)],
        notify,
      );
    }
    const informers: Informer<KubeObject>[] = [
      this.#services as Informer<KubeObject>,
      (this.#slices ?? this.#endpoints) as unknown as Informer<KubeObject>,
    ];
    await Promise.all(informers.map((informer) => informer.run(signal)));
    this.#transport.close();
  }

  #inform<T extends KubeObject>(
    informer: Informer<T>,
    keysOf: (object: T) => string[],
    notify: (key: string) => void,
  ): Informer<T> {
    const each = (object: T) => keysOf(object).forEach(notify);
    informer.addEventHandlers({
      onAdd: each,
      onUpdate: (_, object) => each(object),
      onDelete: each,
    });
    return informer;
  }

  /** Finds which endpoints API the source serves, retrying until it answers or `signal` aborts. */
  async #discover(signal: AbortSignal): Promise<EndpointsMode | undefined> {
    const backoff = new Backoff(this.#options.clock ? { clock: this.#options.clock } : {});
    while (!signal.aborted) {
      try {
        return await servesResource(this.#rest, endpointSlices, { signal })
          ? "endpointslices"
          : "endpoints";
      } catch (error) {
        if (signal.aborted) return undefined;
        this.#options.onError?.(error, "discovery");
        try {
          await backoff.wait(signal);
        } catch {
          return undefined;
        }
      }
    }
    return undefined;
  }
}
