/**
 * The few facts lib/kube needs of any Kubernetes object, and the cache key
 * that identifies one (`namespace/name`, or `name` when cluster-scoped), as
 * in client-go's MetaNamespaceKeyFunc.
 *
 * @module
 */

import type { ObjectMeta } from "kubernetes-types/meta/v1.d.ts";

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

/** Splits a key made by {@linkcode objectKey}. */
export function splitObjectKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf("/");
  if (slash < 0) return { namespace: undefined, name: key };
  if (slash === 0 || slash === key.length - 1 || key.indexOf("/", slash + 1) >= 0) {
    throw new TypeError(
      `Cannot split object key as it must be "name" or "namespace/name": current value is "${key}"`,
    );
  }
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The object's resourceVersion, or "" if it has none. */
export function resourceVersionOf(object: KubeObject): string {
  return object.metadata?.resourceVersion ?? "";
}
