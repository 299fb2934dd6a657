/**
 * Maps request paths to what the Emitter serves: a discovery document, or
 * a collection or object of a served resource, as kube-apiserver lays out
 * its REST paths (core `/api/v1/...`, grouped `/apis/<group>/<version>/...`,
 * cluster-wide or under `namespaces/<ns>/`). Which resources are served is
 * the caller's list (see `served_apis.ts`); a path names one only in the
 * group and version it is served in.
 *
 * @module
 */

import { mcsGroup, type McsVersion } from "../mcs/api.ts";
import type { ServedKind } from "./view.ts";

/** A served resource and how it appears on the wire. */
export interface ServedResource {
  /** Which view collection. */
  kind: ServedKind;
  /** API group ("" for core). */
  group: string;
  /** `apiVersion` of objects. */
  apiVersion: string;
  /** `kind` of one object. */
  objectKind: "Service" | "Endpoints" | "EndpointSlice" | "ServiceExport";
}

/** A served resource of a built-in kind (one kube-apiserver's own printers render). */
export type BuiltinResource = ServedResource & {
  objectKind: "Service" | "Endpoints" | "EndpointSlice";
};

/** Whether `resource` is of a built-in kind (else it is a custom resource: ServiceExports). */
export function isBuiltin(resource: ServedResource): resource is BuiltinResource {
  return resource.objectKind !== "ServiceExport";
}

/** The resources every Emitter serves, by their path segment. */
export const servedResources: Readonly<
  Record<"services" | "endpoints" | "endpointslices", BuiltinResource>
> = {
  services: { kind: "services", group: "", apiVersion: "v1", objectKind: "Service" },
  endpoints: { kind: "endpoints", group: "", apiVersion: "v1", objectKind: "Endpoints" },
  endpointslices: {
    kind: "endpointslices",
    group: "discovery.k8s.io",
    apiVersion: "discovery.k8s.io/v1",
    objectKind: "EndpointSlice",
  },
};

/** ServiceExports served in `version` of the MCS API. */
export function serviceExportsResource(version: McsVersion): ServedResource {
  return {
    kind: "serviceexports",
    group: mcsGroup,
    apiVersion: `${mcsGroup}/${version}`,
    objectKind: "ServiceExport",
  };
}

/** The resources every Emitter serves, as a list. */
const alwaysServed: readonly ServedResource[] = Object.values(servedResources);

/** Resources whose objects have a `status` subresource (a get of it is the object). */
const withStatus = new Set<ServedKind>(["services", "serviceexports"]);

/** A request for a served collection or object. */
export interface ResourceRoute {
  /** The resource. */
  resource: ServedResource;
  /** Namespace from the path, if namespaced. */
  namespace: string | undefined;
  /** Object name from the path, for a get. */
  name: string | undefined;
  /** True for the legacy `/watch/` path prefix. */
  watchPath: boolean;
}

/** The segments of `path` after its leading slash, less one trailing slash (as kube-apiserver). */
function segmentsOf(path: string): string[] {
  const segments = path.split("/").slice(1);
  if (segments.length > 1 && segments[segments.length - 1] === "") segments.pop();
  return segments;
}

/**
 * Parses a decoded `path` into a route to one of `served` (by default the
 * resources every Emitter serves), or undefined if it names none. Empty
 * segments count (`/api//v1` names nothing), except an empty namespace,
 * which kube-apiserver reads as every namespace; an object's `status`
 * subresource is the object (for the served resources that have one).
 */
export function routeResource(
  path: string,
  served: readonly ServedResource[] = alwaysServed,
): ResourceRoute | undefined {
  const segments = segmentsOf(path);
  let rest: string[];
  let apiVersion: string;
  if (segments[0] === "api" && segments[1] !== undefined) {
    apiVersion = segments[1];
    rest = segments.slice(2);
  } else if (segments[0] === "apis" && segments[1] && segments[2] !== undefined) {
    apiVersion = `${segments[1]}/${segments[2]}`;
    rest = segments.slice(3);
  } else {
    return undefined;
  }
  let watchPath = false;
  if (rest[0] === "watch") {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1] || undefined;
    rest = rest.slice(2);
  }
  const resource = served.find((each) => each.apiVersion === apiVersion && each.kind === rest[0]);
  if (!resource) return undefined;
  if (rest.length === 1) return { resource, namespace, name: undefined, watchPath };
  // Objects are namespaced: a name needs a namespace in the path.
  if (namespace === undefined) return undefined;
  const subresource = rest.length === 3 && rest[2] === "status" && withStatus.has(resource.kind) &&
    !watchPath;
  if (rest.length === 2 || subresource) return { resource, namespace, name: rest[1], watchPath };
  return undefined;
}

/**
 * The namespace named by `/api/v1/namespaces/<name>`, if `path` is that.
 * The Emitter serves no namespaces, but answers a get of one (kubectl asks
 * for the namespace when an object in it is not found, and reports the
 * namespace missing instead when that is not found).
 */
export function namespaceRoute(path: string): string | undefined {
  const [api, version, namespaces, name, ...rest] = segmentsOf(path);
  const match = api === "api" && version === "v1" && namespaces === "namespaces" && name &&
    rest.length === 0;
  return match ? name : undefined;
}

/**
 * Whether kube-apiserver answers an unknown `path` with a Status (inside
 * `/api/` and inside the built-in groups the Emitter serves) rather than
 * with Go's plain-text 404. A custom resource's group is not one: there
 * kube-apiserver answers an unknown version or resource in plain text too.
 */
export function insideServedGroup(path: string): boolean {
  const [first, second] = segmentsOf(path);
  return (first === "api" && second !== undefined) ||
    (first === "apis" && second === "discovery.k8s.io");
}
