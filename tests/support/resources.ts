/**
 * Resource types that only tests use: ConfigMaps are cheap objects for
 * exercising list, watch and informers without allocating Service IPs.
 *
 * @module
 */

import type { ResourceType } from "../../lib/kube/resource.ts";

/** core/v1 ConfigMaps. */
export const configMaps: ResourceType = {
  group: "",
  version: "v1",
  resource: "configmaps",
  kind: "ConfigMap",
  namespaced: true,
};
