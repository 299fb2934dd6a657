/**
 * The host model a Reflector's dialect names (`host_model.ts`): the
 * mirror model for `mirror`, the MCS model for `mcs`, each reading the
 * host caches once they are made.
 *
 * @module
 */

import type { KubeObject } from "../kube/object.ts";
import { endpoints, endpointSlices, type ResourceType, services } from "../kube/resource.ts";
import type { RestClient } from "../kube/rest.ts";
import type { ReadonlyStore } from "../kube/store.ts";
import { serviceExports, serviceImports } from "../mcs/api.ts";
import type { Source } from "./source.ts";
import type { HostModel } from "./host_model.ts";
import { McsModel } from "./mcs_model.ts";
import { MirrorModel } from "./mirror_model.ts";
import type { ReflectorApi } from "./reflector_api.ts";

/** What the models are made of. */
export interface HostModelSettings {
  /** The dialect; defaults to `mirror`. */
  api?: ReflectorApi;
  /** Client of the host. */
  host: RestClient;
  /** The mirror model's name template. */
  nameTemplate?: string;
  /** Whether the mirror model writes core Endpoints too. */
  legacyEndpoints: boolean;
  /** The MCS model's cluster id: the source of that name is the host itself. */
  clusterId?: string;
}

/** What a model asks the Reflector, once it runs. */
export interface HostModelWiring {
  /** The host cache of `type`'s resource. */
  store<T extends KubeObject>(type: Pick<ResourceType, "resource">): ReadonlyStore<T>;
  /** Whether a counted source exports a Service bearing on `key` of `model`. */
  claimed(model: HostModel, key: string): boolean;
  /** The counted source of `name`, once it has synced. */
  syncedSource(name: string): Source | undefined;
}

/** The host model of `settings.api`. */
export function hostModel(settings: HostModelSettings, wiring: HostModelWiring): HostModel {
  if (settings.api === "mcs") {
    const mcs: HostModel = new McsModel({
      caches: () => ({
        serviceImports: wiring.store(serviceImports()),
        serviceExports: wiring.store(serviceExports()),
        services: wiring.store(services),
        endpointSlices: wiring.store(endpointSlices),
      }),
      claimed: (key) => wiring.claimed(mcs, key),
      own: () => {
        const cluster = settings.clusterId;
        const source = cluster === undefined ? undefined : wiring.syncedSource(cluster);
        return source && cluster !== undefined
          ? { cluster, service: (key) => source.selectedService(key) }
          : undefined;
      },
    });
    return mcs;
  }
  const mirror: HostModel = new MirrorModel({
    rest: settings.host,
    caches: () => ({
      services: wiring.store(services),
      endpointSlices: wiring.store(endpointSlices),
      endpoints: wiring.store(endpoints),
    }),
    ...(settings.nameTemplate ? { nameTemplate: settings.nameTemplate } : {}),
    legacyEndpoints: settings.legacyEndpoints,
    claimed: (key) => wiring.claimed(mirror, key),
  });
  return mirror;
}
