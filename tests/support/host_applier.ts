/**
 * An {@linkcode Applier} against a real host, for its tests: a host
 * cluster with namespace `shop`, and appliers whose caches hold what the
 * server holds now (as synced informers would), so each call decides from
 * the host's actual state. What was written is read back from the server.
 *
 * @module
 */

import type { Endpoints, Namespace, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { type Cluster, withClusters } from "../cluster/mod.ts";
import { adminConfig } from "./client_configs.ts";
import { RestClient } from "../../lib/kube/rest.ts";
import type { KubeObject } from "../../lib/kube/object.ts";
import { endpoints, endpointSlices, type ResourceType, services } from "../../lib/kube/resource.ts";
import { type ReadonlyStore, Store } from "../../lib/kube/store.ts";
import { Transport } from "../../lib/kube/transport.ts";
import { sliceIndexers } from "../../lib/reflector/_informers.ts";
import { Applier, type HostCaches, type WriteObserver } from "../../lib/reflector/applier.ts";

/** Runs `body` with a fresh host cluster that has namespace `shop`, and an admin client of it. */
export async function onHost(
  body: (west: Cluster, rest: RestClient) => Promise<void>,
): Promise<void> {
  await withClusters(["west"], async ([west]) => {
    if (!west) throw new Error("cluster missing");
    using transport = new Transport(adminConfig(west));
    await west.kubectl("create", "namespace", "shop");
    await body(west, new RestClient(transport));
  });
}

/** An applier of `rest` whose caches hold what the host's namespace `shop` holds now. */
export async function caughtUpApplier(
  rest: RestClient,
  observer?: WriteObserver,
): Promise<Applier> {
  const filled = async <T extends KubeObject>(type: ResourceType, store: Store<T>) => {
    for (const item of (await rest.list<T>(type, { namespace: "shop" })).items) store.set(item);
    return store;
  };
  const stores = emptyStores();
  await filled(services, stores.services);
  await filled(endpointSlices, stores.endpointSlices);
  await filled(endpoints, stores.endpoints);
  return new Applier({ rest, host: hostCaches(stores), ...(observer ? { observer } : {}) });
}

/** The host caches of a mirror: Services, slices (indexed as the Reflector's are), Endpoints, namespaces. */
export interface MirrorStores {
  services: Store<Service>;
  endpointSlices: Store<EndpointSlice>;
  endpoints: Store<Endpoints>;
  namespaces: Store<Namespace>;
}

/** Empty {@linkcode MirrorStores}. */
export function emptyStores(): MirrorStores {
  return {
    services: new Store<Service>(),
    endpointSlices: new Store<EndpointSlice>({ indexers: sliceIndexers }),
    endpoints: new Store<Endpoints>(),
    namespaces: new Store<Namespace>(),
  };
}

/** `stores` as the applier reads them, by resource. */
export function hostCaches(stores: MirrorStores = emptyStores()): HostCaches {
  const byResource = new Map<string, ReadonlyStore<KubeObject>>([
    [services.resource, stores.services],
    [endpointSlices.resource, stores.endpointSlices],
    [endpoints.resource, stores.endpoints],
  ]);
  return {
    namespaces: stores.namespaces,
    objects: (resource) => {
      const store = byResource.get(resource);
      if (!store) throw new TypeError(`No host cache of ${resource}`);
      return store;
    },
  };
}
