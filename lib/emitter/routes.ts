/**
 * Maps request paths to what the Emitter serves: a discovery document, or
 * a collection or object of a served resource, as kube-apiserver lays out
 * its REST paths (core `/api/v1/...`, grouped `/apis/<group>/<version>/...`,
 * cluster-wide or under `namespaces/<ns>/`).
 *
 * @module
 */

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
  objectKind: "Service" | "Endpoints" | "EndpointSlice";
}

/** The three served resources by their path segment. */
export const servedResources: Record<ServedKind, ServedResource> = {
  services: { kind: "services", group: "", apiVersion: "v1", objectKind: "Service" },
  endpoints: { kind: "endpoints", group: "", apiVersion: "v1", objectKind: "Endpoints" },
  endpointslices: {
    kind: "endpointslices",
    group: "discovery.k8s.io",
    apiVersion: "discovery.k8s.io/v1",
    objectKind: "EndpointSlice",
  },
};

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

const corePaths = new Set<ServedKind>(["services", "endpoints"]);

/** Parses `path` into a resource route, or undefined if it names none. */
export function routeResource(path: string): ResourceRoute | undefined {
  const segments = path.split("/").filter((segment) => segment !== "");
  let rest: string[];
  let group: string;
  if (segments[0] === "api" && segments[1] === "v1") {
    group = "";
    rest = segments.slice(2);
  } else if (segments[0] === "apis" && segments[1] === "discovery.k8s.io" && segments[2] === "v1") {
    group = "discovery.k8s.io";
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
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length < 1 || rest.length > 2) return undefined;
  const kind = rest[0] as ServedKind;
  const resource = servedResources[kind];
  if (!resource || resource.group !== group) return undefined;
  if (group === "" && !corePaths.has(kind)) return undefined;
  return { resource, namespace, name: rest[1], watchPath };
}
