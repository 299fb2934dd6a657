/**
 * An Emitter: informers on its own cluster's Services, Endpoints and
 * EndpointSlices feed a {@linkcode View}; a {@linkcode WatchHub} fans the
 * view's changes out to watchers; {@linkcode Emitter.handler} answers
 * requests. Mount the handler with `serve.ts`, run {@linkcode Emitter.run}
 * until shutdown.
 *
 * @module
 */

import type { Endpoints, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import type { Clock } from "../clock.ts";
import { Informer, type InformerPhase } from "../kube/informer.ts";
import type { LabelSelector } from "../kube/label_selector.ts";
import { type KubeObject, objectKey, sliceServiceKeys } from "../kube/object.ts";
import { endpoints, endpointSlices, type ResourceType, services } from "../kube/resource.ts";
import type { RestClient } from "../kube/rest.ts";
import { createHandler, type Verb } from "./handler.ts";
import { type TableKinds, toTable } from "./table.ts";
import { sliceServiceIndex, View } from "./view.ts";
import { WatchHub, type WatchHubOptions } from "./watch.ts";

/** Options of {@linkcode Emitter}. */
export interface EmitterOptions extends Omit<WatchHubOptions, "renderTable"> {
  /** Client of the Emitter's own cluster. */
  rest: RestClient;
  /** Services to export (`--emitter.selector`); the empty selector exports all. */
  selector: LabelSelector;
  /** Only this namespace (`--namespace`); omitted for all. */
  namespace?: string;
  /** Events kept per resource for watch replay. Defaults to 1000. */
  historySize?: number;
  /** Time source. */
  clock?: Clock;
  /** Decides whether a request may read; omitted: everyone may. */
  authenticate?: (request: Request) => boolean | Promise<boolean>;
  /** Upstream list/watch failures (the informers recover by themselves). */
  onUpstreamError?: (error: unknown, resource: string, phase: InformerPhase) => void;
  /** Unexpected handler errors. */
  onError?: (error: unknown) => void;
  /** One call per request. */
  onRequest?: (verb: Verb, code: number) => void;
}

/** The Emitter of one cluster. */
export class Emitter {
  /** The HTTP API; see `handler.ts`. */
  readonly handler: (request: Request) => Promise<Response>;
  readonly #view: View;
  readonly #hub: WatchHub;
  readonly #informers: {
    services: Informer<Service>;
    endpoints: Informer<Endpoints>;
    endpointSlices: Informer<EndpointSlice>;
  };

  /** Creates the Emitter; nothing is read before {@linkcode Emitter.run}. */
  constructor(options: EmitterOptions) {
    const scope = options.namespace ? { namespace: options.namespace } : {};
    const inform = <T extends KubeObject>(type: ResourceType, extra: object = {}) =>
      new Informer<T>(options.rest, {
        type,
        ...scope,
        ...extra,
        ...(options.clock ? { clock: options.clock } : {}),
        onError: (error, phase) => options.onUpstreamError?.(error, type.resource, phase),
      });
    this.#informers = {
      services: inform<Service>(services),
      endpoints: inform<Endpoints>(endpoints),
      endpointSlices: inform<EndpointSlice>(endpointSlices, {
        indexers: { [sliceServiceIndex]: sliceServiceKeys },
      }),
    };
    this.#view = new View({
      services: this.#informers.services.store,
      endpoints: this.#informers.endpoints.store,
      endpointSlices: this.#informers.endpointSlices.store,
    }, {
      selectsService: (service) => options.selector.matches(service.metadata?.labels ?? {}),
      ...(options.historySize ? { historySize: options.historySize } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    const renderTable = (
      resource: { objectKind: keyof TableKinds },
      objects: KubeObject[],
      resourceVersion: string,
    ) =>
      toTable(resource.objectKind, objects as TableKinds[keyof TableKinds][], { resourceVersion });
    this.#hub = new WatchHub(this.#view, { ...options, renderTable });
    this.#wire();
    this.handler = createHandler({
      view: this.#view,
      hub: this.#hub,
      ready: () => this.#view.started,
      renderTable,
      ...(options.authenticate ? { authenticate: options.authenticate } : {}),
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
      ...(options.onError ? { onError: options.onError } : {}),
    });
  }

  /** Whether the caches synced and requests are served. */
  get ready(): boolean {
    return this.#view.started;
  }

  /** The served view's resourceVersion. */
  get resourceVersion(): number {
    return this.#view.resourceVersion;
  }

  /** Open watches. */
  get watchers(): number {
    return this.#hub.size;
  }

  /** Runs the informers until `signal` aborts, then ends every watch. */
  async run(signal: AbortSignal): Promise<void> {
    const { services, endpoints, endpointSlices } = this.#informers;
    const running = [services.run(signal), endpoints.run(signal), endpointSlices.run(signal)];
    try {
      await Promise.all([
        services.synced(signal),
        endpoints.synced(signal),
        endpointSlices.synced(signal),
      ]);
      this.#view.start();
    } catch {
      // Aborted before the caches synced.
    }
    await Promise.all(running);
    this.#hub.close();
  }

  #wire(): void {
    const { services, endpoints, endpointSlices } = this.#informers;
    const on = <T extends KubeObject>(informer: Informer<T>, changed: (key: string) => void) =>
      informer.addEventHandlers({
        onAdd: (object) => changed(objectKey(object)),
        onUpdate: (_, object) => changed(objectKey(object)),
        onDelete: (object) => changed(objectKey(object)),
      });
    on(services, (key) => this.#view.serviceChanged(key));
    on(endpoints, (key) => this.#view.endpointsChanged(key));
    on(endpointSlices, (key) => this.#view.sliceChanged(key));
  }
}
