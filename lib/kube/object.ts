/**
 * The few facts lib/kube needs of any Kubernetes object, the cache key
 * that identifies one (`namespace/name`, or `name` when cluster-scoped), as
 * in client-go's MetaNamespaceKeyFunc, and the key of the Service an
 * EndpointSlice belongs to, by the label the Kubernetes API defines for it.
 *
 * @module
 */

import type { ObjectMeta } from "kubernetes-types/meta/v1.d.ts";
import { cannot } from "../cannot.ts";

/** Any Kubernetes object: lib/kube only reads its metadata. */
export interface KubeObject {
  /** e.g. `v1`. */
  apiVersion?: string;
  /** e.g. `Service`. */
  kind?: string;
  /** Standard object metadata. */
  metadata?: ObjectMeta;
}

/** A page or a whole list of objects, with the list's resourceVersion. */
export interface ObjectList<T> {
  /** The objects. */
  items: T[];
  /** The resourceVersion the list is consistent at; a watch continues from it. */
  resourceVersion: string;
}

/** `namespace/name` of a namespaced object, `name` of a cluster-scoped one. */
export function objectKey(object: KubeObject): string {
  const name = object.metadata?.name;
  if (!name) {
    throw new TypeError(
      `Cannot key an object without metadata.name: ${JSON.stringify(object).slice(0, 200)}`,
    );
  }
  const namespace = object.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

/**
 * The key of `object` as {@linkcode objectKey} makes it, or undefined when
 * `object` cannot be keyed: its `metadata.name` is not a non-empty string,
 * or its `metadata.namespace` is neither absent nor a string. Never throws,
 * whatever `object` is.
 */
export function safeObjectKey(object: unknown): string | undefined {
  const metadata = (object as KubeObject | null | undefined)?.metadata as unknown;
  if (typeof metadata !== "object" || metadata === null) return undefined;
  const { name, namespace } = metadata as { name?: unknown; namespace?: unknown };
  if (typeof name !== "string" || name === "") return undefined;
  if (namespace !== undefined && namespace !== null && typeof namespace !== "string") {
    return undefined;
  }
  return namespace ? `${namespace}/${name}` : name;
}

/** Splits a key made by {@linkcode objectKey}. */
export function splitObjectKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf("/");
  if (slash < 0) return { namespace: undefined, name: key };
  if (slash === 0 || slash === key.length - 1 || key.indexOf("/", slash + 1) >= 0) {
    throw new TypeError(cannot("split object key", 'it must be "name" or "namespace/name"', key));
  }
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The object's resourceVersion, or "" if it has none (or one that is not a string). */
export function resourceVersionOf(object: KubeObject): string {
  const version: unknown = object.metadata?.resourceVersion;
  return typeof version === "string" ? version : "";
}

/** The label naming the Service (in the slice's own namespace) an EndpointSlice belongs to. */
export const serviceNameLabel = "kubernetes.io/service-name";

/**
 * The key (`namespace/name`) of the Service that `slice` belongs to, by its
 * {@linkcode serviceNameLabel} label: one key, or none for a slice without
 * the label. Shaped as an index function, so that a cache of slices can be
 * looked up by Service.
 */
export function sliceServiceKeys(slice: KubeObject): string[] {
  const service = slice.metadata?.labels?.[serviceNameLabel];
  return service ? [`${slice.metadata?.namespace ?? ""}/${service}`] : [];
}
