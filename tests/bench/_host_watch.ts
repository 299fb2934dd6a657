/**
 * A benchmark's view of the host: informers on one namespace's Services
 * and EndpointSlices in the benchmark's process. Waiting on them costs the
 * host one list and a watch each; listing every mirror at each poll would
 * load the host apiserver more the more mirrors there are, and slow down
 * the very writes being measured.
 *
 * @module
 */

import type { Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { Informer } from "../../lib/kube/informer.ts";
import { endpointSlices, services } from "../../lib/kube/resource.ts";
import type { RestClient } from "../../lib/kube/rest.ts";
import { isReflected } from "../../lib/ownership.ts";

/** The host's mirrors of one namespace, as watched; informers stop on dispose. */
export interface HostWatch extends AsyncDisposable {
  /** The mirror Services (this project's or another reflector's, by `isReflected`). */
  mirrors(): Service[];
  /** Ready endpoints of the slices of mirror Services, whoever wrote the slices. */
  readyEndpoints(): number;
}

/** Starts watching `namespace` of the host `rest` reaches. */
export function watchHost(rest: RestClient, namespace: string): HostWatch {
  const controller = new AbortController();
  const serviceCache = new Informer<Service>(rest, { type: services, namespace });
  const sliceCache = new Informer<EndpointSlice>(rest, { type: endpointSlices, namespace });
  const running = Promise.all([
    serviceCache.run(controller.signal),
    sliceCache.run(controller.signal),
  ]);
  const mirrors = () => serviceCache.store.list().filter(isReflected);
  return {
    mirrors,
    readyEndpoints() {
      const names = new Set(mirrors().map((service) => service.metadata?.name));
      return sliceCache.store.list()
        .filter((slice) => names.has(slice.metadata?.labels?.["kubernetes.io/service-name"]))
        .reduce(
          (sum, slice) =>
            sum + (slice.endpoints ?? []).filter((each) => each.conditions?.ready !== false).length,
          0,
        );
    },
    async [Symbol.asyncDispose]() {
      controller.abort();
      await running;
    },
  };
}
