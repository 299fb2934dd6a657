/**
 * In-memory upstream caches for Emitter unit tests: the same Store type the
 * informers fill, filled by hand, with the view notified the way the
 * Emitter's informer handlers notify it.
 *
 * @module
 */

import type { Endpoints, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { objectKey } from "../../lib/kube/object.ts";
import { Store } from "../../lib/kube/store.ts";
import { sliceServiceKeys } from "../../lib/kube/object.ts";
import { sliceServiceIndex, View } from "../../lib/emitter/view.ts";
import { FakeClock } from "./fake_clock.ts";

let version = 100;

/** Hand-filled upstream stores. */
export class FakeUpstream {
  readonly services = new Store<Service>();
  readonly endpoints = new Store<Endpoints>();
  readonly endpointSlices = new Store<EndpointSlice>({
    indexers: { [sliceServiceIndex]: sliceServiceKeys },
  });
  view: View | undefined;

  /** Adds or replaces a Service (with a fresh upstream resourceVersion) and notifies the view. */
  service(
    namespace: string,
    name: string,
    labels: Record<string, string> = {},
    extra: Partial<Service> = {},
  ): Service {
    const service: Service = {
      ...extra,
      metadata: {
        namespace,
        name,
        labels,
        resourceVersion: String(++version),
        uid: `uid-${namespace}-${name}`,
      },
      spec: {
        ports: [{ name: "http", port: 80, protocol: "TCP" }],
        clusterIP: "10.96.0.10",
        type: "ClusterIP",
        ...extra.spec,
      },
    };
    this.services.set(service);
    this.view?.serviceChanged(objectKey(service));
    return service;
  }

  /** Adds or replaces an EndpointSlice of `service` and notifies the view. */
  slice(
    namespace: string,
    name: string,
    service: string,
    ips: string[],
    labels: Record<string, string> = {},
  ): EndpointSlice {
    const slice: EndpointSlice = {
      metadata: {
        namespace,
        name,
        labels: { "kubernetes.io/service-name": service, ...labels },
        resourceVersion: String(++version),
      },
      addressType: "IPv4",
      endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    };
    this.endpointSlices.set(slice);
    this.view?.sliceChanged(objectKey(slice));
    return slice;
  }

  /** Adds or replaces an Endpoints object and notifies the view. */
  endpointsOf(namespace: string, name: string, ips: string[]): Endpoints {
    const object: Endpoints = {
      metadata: { namespace, name, resourceVersion: String(++version) },
      subsets: [{
        addresses: ips.map((ip) => ({ ip })),
        ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      }],
    };
    this.endpoints.set(object);
    this.view?.endpointsChanged(objectKey(object));
    return object;
  }

  /** Deletes a Service and notifies the view. */
  deleteService(namespace: string, name: string): void {
    this.services.delete(`${namespace}/${name}`);
    this.view?.serviceChanged(`${namespace}/${name}`);
  }

  /** Deletes an EndpointSlice and notifies the view. */
  deleteSlice(namespace: string, name: string): void {
    this.endpointSlices.delete(`${namespace}/${name}`);
    this.view?.sliceChanged(`${namespace}/${name}`);
  }
}

/**
 * A view of fresh hand-filled stores that serves the Services labelled
 * `export=yes`, on a fake clock at 2 000 ms, keeping `historySize` (default
 * 100) changes; the stores notify it.
 */
export function exportedView(options: { historySize?: number } = {}): {
  upstream: FakeUpstream;
  view: View;
} {
  const upstream = new FakeUpstream();
  const view = new View(upstream, {
    selectsService: (service) => service.metadata?.labels?.["export"] === "yes",
    clock: new FakeClock(2_000),
    historySize: options.historySize ?? 100,
  });
  upstream.view = view;
  return { upstream, view };
}
