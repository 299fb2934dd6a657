/**
 * Makes the host match the desired mirror of one key, writing only what
 * differs (compared through `projection.ts`, so a no-op resync writes
 * nothing), and never touching what the Reflector does not own:
 *
 * - A host Service is ours if it carries this project's managed-by label or
 *   the original Go project's `reflected` annotation (adopted). A same-named
 *   Service without either is reported and left alone.
 * - EndpointSlices and Endpoints are ours only through their labels; the
 *   host caches the applier reads hold nothing else.
 * - Writes carry the resourceVersion read (updates) or the UID (deletes),
 *   so a concurrent change makes them fail with 409, and the key is retried
 *   from fresh caches rather than overwriting what it did not see.
 *
 * @module
 */

import type { Endpoints, Namespace, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import type { KubeObject } from "../kube/object.ts";
import {
  endpoints,
  endpointSlices,
  namespaces,
  type ResourceType,
  services,
} from "../kube/resource.ts";
import type { RestClient } from "../kube/rest.ts";
import { isAlreadyExists, isNotFound } from "../kube/status_error.ts";
import type { ReadonlyStore } from "../kube/store.ts";
import {
  isReflected,
  managedByLabel,
  managedByValue,
  reflectedAnnotation,
  sourceClusterLabel,
} from "../ownership.ts";
import {
  mirrorEndpoints,
  mirrorEndpointSlices,
  mirrorService,
  type SourceObjects,
} from "./desired.ts";
import {
  sameProjection,
  serviceProjection,
  sliceProjection,
  updatableInPlace,
} from "./projection.ts";

/** Host caches the applier reads. */
export interface HostCaches {
  /** Every Service in the Reflector's scope (to see unowned ones too). */
  services: ReadonlyStore<Service>;
  /** The Reflector's own EndpointSlices, with index {@linkcode ownedByService}. */
  endpointSlices: ReadonlyStore<EndpointSlice>;
  /** The Reflector's own Endpoints. */
  endpoints: ReadonlyStore<Endpoints>;
}

/** Name of the host slice index by mirror Service key (`namespace/name`). */
export const ownedByService = "mirror";

/** The {@linkcode ownedByService} index function. */
export function mirrorKeys(slice: EndpointSlice): string[] {
  const service = slice.metadata?.labels?.["kubernetes.io/service-name"];
  return service ? [`${slice.metadata?.namespace ?? ""}/${service}`] : [];
}

/** What an apply found or did. */
export type ApplyResult = "in-sync" | "changed" | "unowned" | "namespace-missing";

/** A write the applier sent, for metrics and tests. */
export interface Write {
  /** `create`, `update` or `delete`. */
  verb: "create" | "update" | "delete";
  /** The resource written. */
  resource: string;
  /** `namespace/name` of the object. */
  key: string;
}

/** Options of {@linkcode Applier}. */
export interface ApplierOptions {
  /** Client of the host cluster. */
  rest: RestClient;
  /** Host caches. */
  host: HostCaches;
  /** Create a missing namespace (labelled as ours) instead of waiting for it. */
  createNamespaces: boolean;
  /** Also write core v1 Endpoints for each mirror. */
  legacyEndpoints: boolean;
  /** Field manager recorded on writes. Defaults to `service-reflector`. */
  fieldManager?: string;
  /** Told of every write. */
  onWrite?: (write: Write) => void;
}

// Spec fields of a mirror Service the applier owns: each is set to the
// desired value, or removed when the desired mirror leaves it unset.
const managedSpecFields = [
  "type",
  "ports",
  "selector",
  "externalName",
  "publishNotReadyAddresses",
  "sessionAffinity",
  "sessionAffinityConfig",
  "externalIPs",
  "externalTrafficPolicy",
  "internalTrafficPolicy",
  "healthCheckNodePort",
  "loadBalancerIP",
  "loadBalancerSourceRanges",
  "loadBalancerClass",
  "allocateLoadBalancerNodePorts",
] as const;

/** Applies desired mirrors to the host. */
export class Applier {
  readonly #options: ApplierOptions;

  /** Creates an applier; it holds no state between calls. */
  constructor(options: ApplierOptions) {
    this.#options = options;
  }

  /**
   * Makes the host mirror of `key` match `inputs` (the source objects for
   * it; empty when no source has it, which deletes our mirror). Slices of
   * the sources in `options.keep` (sources not synced, whose part is not
   * known) are left exactly as they are.
   */
  async apply(
    key: string,
    inputs: SourceObjects[],
    options: { keep?: ReadonlySet<string>; signal?: AbortSignal } = {},
  ): Promise<ApplyResult> {
    const { keep = new Set<string>(), signal } = options;
    const { host } = this.#options;
    const [namespace = "", name = ""] = key.split("/");
    const existing = host.services.get(key);
    let changed = false;
    if (inputs.length === 0) {
      changed = await this.#deleteOwned(key, namespace, signal);
      if (existing && isReflected(existing)) {
        await this.#delete(services, existing, signal);
        changed = true;
      }
      return changed ? "changed" : "in-sync";
    }
    if (existing && !isReflected(existing)) return "unowned";

    const desired = mirrorService(inputs);
    let current = existing;
    if (!current) {
      if (!(await this.#namespaceReady(namespace, signal))) return "namespace-missing";
      current = await this.#create(services, desired, signal);
      changed = true;
    } else if (!updatableInPlace(current, desired)) {
      await this.#delete(services, current, signal);
      current = await this.#create(services, desired, signal);
      changed = true;
    } else if (
      !sameProjection(serviceProjection(current, desired), serviceProjection(desired, desired))
    ) {
      current = await this.#update(services, mergeService(current, desired), signal);
      changed = true;
    }

    const owner = { name, uid: current.metadata?.uid ?? "" };
    changed = await this.#syncSlices(key, mirrorEndpointSlices(inputs, owner), keep, signal) ||
      changed;
    const legacy = this.#options.legacyEndpoints ? mirrorEndpoints(inputs, owner) : undefined;
    changed = await this.#syncEndpoints(key, legacy, signal) || changed;
    return changed ? "changed" : "in-sync";
  }

  async #syncSlices(
    key: string,
    desired: EndpointSlice[],
    keep: ReadonlySet<string>,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const existing = new Map(
      this.#options.host.endpointSlices.byIndex(ownedByService, key)
        .filter((slice) => !keep.has(slice.metadata?.labels?.[sourceClusterLabel] ?? ""))
        .map((slice) => [slice.metadata?.name, slice]),
    );
    let changed = false;
    for (const slice of desired) {
      const current = existing.get(slice.metadata?.name);
      existing.delete(slice.metadata?.name);
      if (!current) {
        await this.#create(endpointSlices, slice, signal);
        changed = true;
      } else if (!sameProjection(sliceProjection(current), sliceProjection(slice))) {
        await this.#update(endpointSlices, withVersion(slice, current), signal);
        changed = true;
      }
    }
    for (const stale of existing.values()) {
      await this.#delete(endpointSlices, stale, signal);
      changed = true;
    }
    return changed;
  }

  async #syncEndpoints(
    key: string,
    desired: Endpoints | undefined,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const current = this.#options.host.endpoints.get(key);
    if (!desired) {
      if (!current) return false;
      await this.#delete(endpoints, current, signal);
      return true;
    }
    if (!current) {
      await this.#create(endpoints, desired, signal);
      return true;
    }
    const project = (object: Endpoints) => ({
      labels: object.metadata?.labels ?? {},
      subsets: object.subsets ?? [],
    });
    if (sameProjection(project(current), project(desired))) return false;
    await this.#update(endpoints, withVersion(desired, current), signal);
    return true;
  }

  /** Deletes our slices and Endpoints of `key`. */
  async #deleteOwned(key: string, _namespace: string, signal?: AbortSignal): Promise<boolean> {
    const slices = this.#options.host.endpointSlices.byIndex(ownedByService, key);
    for (const slice of slices) await this.#delete(endpointSlices, slice, signal);
    const legacy = this.#options.host.endpoints.get(key);
    if (legacy) await this.#delete(endpoints, legacy, signal);
    return slices.length > 0 || legacy !== undefined;
  }

  async #namespaceReady(namespace: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.#options.rest.get<Namespace>(namespaces, namespace, signal ? { signal } : {});
      return true;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (!this.#options.createNamespaces) return false;
    try {
      await this.#create(namespaces, {
        metadata: {
          name: namespace,
          labels: { [managedByLabel]: managedByValue },
          annotations: { [reflectedAnnotation]: "true" },
        },
      }, signal);
    } catch (error) {
      // Another worker, for another key of the same namespace, won the race.
      if (!isAlreadyExists(error)) throw error;
    }
    return true;
  }

  async #create<T extends KubeObject>(
    type: ResourceType,
    object: T,
    signal?: AbortSignal,
  ): Promise<T> {
    const created = await this.#options.rest.create(type, object, this.#writeOptions(signal));
    this.#written("create", type, object);
    return created;
  }

  async #update<T extends KubeObject>(
    type: ResourceType,
    object: T,
    signal?: AbortSignal,
  ): Promise<T> {
    const updated = await this.#options.rest.update(type, object, this.#writeOptions(signal));
    this.#written("update", type, object);
    return updated;
  }

  async #delete(type: ResourceType, object: KubeObject, signal?: AbortSignal): Promise<void> {
    try {
      await this.#options.rest.delete(type, object.metadata?.name ?? "", {
        ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}),
        preconditions: { uid: object.metadata?.uid ?? "" },
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      // Already gone is the goal reached.
      if (!isNotFound(error)) throw error;
    }
    this.#written("delete", type, object);
  }

  #writeOptions(signal?: AbortSignal) {
    return {
      fieldManager: this.#options.fieldManager ?? "service-reflector",
      ...(signal ? { signal } : {}),
    };
  }

  #written(verb: Write["verb"], type: ResourceType, object: KubeObject): void {
    this.#options.onWrite?.({
      verb,
      resource: type.resource,
      key: `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`,
    });
  }
}

/** `current` with the desired metadata marks and managed spec fields of `desired`. */
function mergeService(current: Service, desired: Service): Service {
  const spec: Record<string, unknown> = { ...current.spec };
  const wanted = (desired.spec ?? {}) as Record<string, unknown>;
  for (const field of managedSpecFields) {
    if (wanted[field] === undefined) delete spec[field];
    else spec[field] = wanted[field];
  }
  for (const field of ["ipFamilyPolicy", "ipFamilies"] as const) {
    if (wanted[field] !== undefined) spec[field] = wanted[field];
  }
  return {
    ...current,
    metadata: {
      ...current.metadata,
      labels: desired.metadata?.labels ?? {},
      annotations: desired.metadata?.annotations ?? {},
    },
    spec,
  };
}

/** `desired` carrying `current`'s identity and version, for an update. */
function withVersion<T extends KubeObject>(desired: T, current: T): T {
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      resourceVersion: current.metadata?.resourceVersion ?? "",
      uid: current.metadata?.uid ?? "",
    },
  };
}
