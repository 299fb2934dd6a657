/**
 * The host informers: one per resource some host model reads, each
 * queueing the keys its models say an object bears on, qualified by model;
 * and the namespaces (only the Reflector's one under `--namespace`:
 * namespaces are cluster-scoped, so it is picked by name), whose arrival
 * wakes the keys parked for them.
 *
 * What each resource's cache holds is fixed here: every Service and
 * ServiceImport in scope (an owner's name matters even when the object is
 * not ours), every ServiceExport (the host's own exports, whose conditions
 * the MCS dialect writes), and only the Reflector's own EndpointSlices and
 * Endpoints.
 *
 * @module
 */

import type { Namespace, Service } from "kubernetes-types/core/v1.d.ts";
import type { Informer } from "../kube/informer.ts";
import type { KubeObject } from "../kube/object.ts";
import {
  endpoints,
  endpointSlices,
  namespaces,
  type ResourceType,
  services,
} from "../kube/resource.ts";
import type { RestClient } from "../kube/rest.ts";
import type { ReadonlyStore } from "../kube/store.ts";
import {
  endpointSliceControllerName,
  endpointSliceManagedByLabel,
  managedByLabel,
  managedByValue,
} from "../ownership.ts";
import { keyedInformer, type KeyedInformerOptions, sliceIndexers } from "./_informers.ts";
import { hostServiceShape } from "./_host_service_shape.ts";
import { serviceExports, serviceImports } from "../mcs/api.ts";
import type { HostModel } from "./host_model.ts";
import { queueKey } from "./queue_keys.ts";

/** What every host informer shares. */
export type HostScope = Pick<
  KeyedInformerOptions<KubeObject>,
  "namespace" | "clock" | "enqueue" | "onError"
>;

/** The resources a model may read, with what their caches hold. */
const readable: Record<string, { type: ResourceType } & Partial<KeyedInformerOptions<KubeObject>>> =
  {
    [services.resource]: {
      type: services,
      transform: (service) => hostServiceShape(service as Service) as KubeObject,
    },
    [endpointSlices.resource]: {
      type: endpointSlices,
      labelSelector: `${endpointSliceManagedByLabel}=${endpointSliceControllerName}`,
      indexers: sliceIndexers,
    },
    [endpoints.resource]: {
      type: endpoints,
      labelSelector: `${managedByLabel}=${managedByValue}`,
    },
    [serviceImports().resource]: { type: serviceImports() },
    [serviceExports().resource]: { type: serviceExports() },
  };

/** The host informers of some models. */
export interface HostInformers {
  /** By resource name, for every resource a model reads. */
  readonly byResource: ReadonlyMap<string, Informer<KubeObject>>;
  /** The namespaces. */
  readonly namespaces: Informer<Namespace>;
  /**
   * The cache of `type`'s resource, which some model reads.
   *
   * @throws {TypeError} For a resource no model reads.
   */
  store<T extends KubeObject = KubeObject>(type: Pick<ResourceType, "resource">): ReadonlyStore<T>;
}

/**
 * The informers on `rest` of every resource `models` read, and of the
 * namespaces, whose arrival queues what `wake` returns for them.
 *
 * @throws {TypeError} If a model reads a resource there is no informer for.
 */
export function hostInformers(
  rest: RestClient,
  models: readonly HostModel[],
  scope: HostScope,
  wake: (namespace: string) => string[],
): HostInformers {
  const resources = new Set(models.flatMap((model) => Object.keys(model.reads)));
  const byResource = new Map<string, Informer<KubeObject>>();
  for (const resource of resources) {
    const settings = readable[resource];
    if (!settings) throw new TypeError(`No host informer reads ${resource}`);
    const readers = models.flatMap((model) => {
      const keysOf = model.reads[resource];
      return keysOf ? [{ model: model.name, keysOf }] : [];
    });
    byResource.set(
      resource,
      keyedInformer<KubeObject>(rest, {
        ...settings,
        ...scope,
        keysOf: (object) =>
          readers.flatMap(({ model, keysOf }) => keysOf(object).map((key) => queueKey(model, key))),
      }),
    );
  }
  const { namespace, ...unscoped } = scope;
  return {
    byResource,
    store: <T extends KubeObject>(type: Pick<ResourceType, "resource">) => {
      const informer = byResource.get(type.resource);
      if (!informer) throw new TypeError(`No host informer reads ${type.resource}`);
      return informer.store as unknown as ReadonlyStore<T>;
    },
    namespaces: keyedInformer<Namespace>(rest, {
      type: namespaces,
      keysOf: (object) => wake(object.metadata?.name ?? ""),
      ...unscoped,
      ...(namespace ? { fieldSelector: `metadata.name=${namespace}` } : {}),
    }),
  };
}
