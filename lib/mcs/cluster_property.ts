/**
 * A cluster's id as the About API (KEP-2149) names it: the value of the
 * cluster-scoped `ClusterProperty` `cluster.clusterset.k8s.io` of group
 * `about.k8s.io` (`v1alpha1`). A cluster without the CRD, or without that
 * property, has none.
 *
 * @module
 */

import type { KubeObject } from "../kube/object.ts";
import type { ResourceType } from "../kube/resource.ts";
import type { RestClient } from "../kube/rest.ts";
import { isNotFound } from "../kube/status_error.ts";
import { cannot } from "../cannot.ts";

/** The About API's ClusterProperties. */
export const clusterProperties: ResourceType = {
  group: "about.k8s.io",
  version: "v1alpha1",
  resource: "clusterproperties",
  kind: "ClusterProperty",
  namespaced: false,
};

/** The property that holds a cluster's id. */
export const clusterIdProperty = "cluster.clusterset.k8s.io";

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A ClusterProperty whose value is not a cluster id. */
export class ClusterIdPropertyError extends Error {
  /** The value found. */
  readonly value: unknown;

  /** Creates the error for `value`. */
  constructor(value: unknown) {
    super(
      cannot(`use ClusterProperty ${clusterIdProperty}`, "its value must be a DNS label", value),
    );
    this.name = "ClusterIdPropertyError";
    this.value = value;
  }
}

/**
 * The cluster id of `rest`'s cluster from its ClusterProperty; undefined
 * when the cluster has none.
 *
 * @throws {ClusterIdPropertyError} For a property whose value is not a DNS label.
 * @throws What the server answers otherwise (it is unreachable, or refuses).
 */
export async function clusterIdOf(
  rest: RestClient,
  options: { signal?: AbortSignal } = {},
): Promise<string | undefined> {
  let property: KubeObject & { spec?: { value?: unknown } };
  try {
    property = await rest.get(clusterProperties, clusterIdProperty, {
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  const value = property.spec?.value;
  if (typeof value !== "string" || !dnsLabel.test(value)) throw new ClusterIdPropertyError(value);
  return value;
}
