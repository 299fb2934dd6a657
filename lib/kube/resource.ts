/**
 * Which API resource a request is about, and the REST paths Kubernetes uses
 * for it. Each resource the project speaks to is a constant here, so that no
 * path is ever assembled from loose strings elsewhere.
 *
 * @module
 */

import { cannot } from "../cannot.ts";

/** An API resource: the group/version it is served under and its plural name. */
export interface ResourceType {
  /** API group; empty for the core group (`/api/v1`). */
  readonly group: string;
  /** API version, e.g. `v1`. */
  readonly version: string;
  /** Plural resource name used in paths, e.g. `services`. */
  readonly resource: string;
  /** Kind of one object, e.g. `Service`. */
  readonly kind: string;
  /** Whether objects live in namespaces. */
  readonly namespaced: boolean;
}

/** `apiVersion` of objects of `type`, e.g. `v1` or `discovery.k8s.io/v1`. */
export function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** Where an object or a collection of a {@linkcode ResourceType} lives. */
export interface PathOptions {
  /** Namespace; omitted for cluster-scoped types and for all-namespaces collections. */
  namespace?: string;
  /** Object name; omitted for a collection. */
  name?: string;
  /** Subresource such as `status`; requires `name`. */
  subresource?: string;
}

// Names of namespaced objects and namespaces are DNS subdomains or labels;
// anything else (a slash, "..", a space) would change the path's meaning.
const segment = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * The REST path of a collection or object of `type`, e.g.
 * `/apis/discovery.k8s.io/v1/namespaces/demo/endpointslices`.
 *
 * Throws a TypeError for a namespace on a cluster-scoped type, a subresource
 * without a name, or a name, namespace or subresource that is not a valid
 * path segment.
 */
export function resourcePath(type: ResourceType, options: PathOptions = {}): string {
  const { namespace, name, subresource } = options;
  if (namespace !== undefined && !type.namespaced) {
    throw new TypeError(
      `Cannot build a path for ${type.resource} as they are cluster-scoped: namespace is "${namespace}"`,
    );
  }
  if (subresource !== undefined && name === undefined) {
    throw new TypeError(`Cannot build a path for subresource "${subresource}" without a name`);
  }
  const parts: [string, string | undefined][] = [
    ["namespace", namespace],
    ["name", name],
    ["subresource", subresource],
  ];
  for (const [field, value] of parts) {
    if (value !== undefined && !segment.test(value)) {
      throw new TypeError(
        cannot(`build a path for ${type.resource}`, `'${field}' must be a DNS subdomain`, value),
      );
    }
  }
  let path = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
  if (namespace !== undefined) path += `/namespaces/${namespace}`;
  path += `/${type.resource}`;
  if (name !== undefined) path += `/${name}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}

/** core/v1 Services. */
export const services: ResourceType = {
  group: "",
  version: "v1",
  resource: "services",
  kind: "Service",
  namespaced: true,
};

/** core/v1 Endpoints. */
export const endpoints: ResourceType = {
  group: "",
  version: "v1",
  resource: "endpoints",
  kind: "Endpoints",
  namespaced: true,
};

/** discovery.k8s.io/v1 EndpointSlices. */
export const endpointSlices: ResourceType = {
  group: "discovery.k8s.io",
  version: "v1",
  resource: "endpointslices",
  kind: "EndpointSlice",
  namespaced: true,
};

/** core/v1 Namespaces. */
export const namespaces: ResourceType = {
  group: "",
  version: "v1",
  resource: "namespaces",
  kind: "Namespace",
  namespaced: false,
};

/** core/v1 Events. */
export const events: ResourceType = {
  group: "",
  version: "v1",
  resource: "events",
  kind: "Event",
  namespaced: true,
};

/** coordination.k8s.io/v1 Leases. */
export const leases: ResourceType = {
  group: "coordination.k8s.io",
  version: "v1",
  resource: "leases",
  kind: "Lease",
  namespaced: true,
};

/** core/v1 Pods. */
export const pods: ResourceType = {
  group: "",
  version: "v1",
  resource: "pods",
  kind: "Pod",
  namespaced: true,
};
