/**
 * The discovery documents of an Emitter: exactly the resources it serves
 * (core/v1 Services and Endpoints, discovery.k8s.io/v1 EndpointSlices),
 * each with the read verbs only, so clients never try to write.
 *
 * @module
 */

import type {
  APIGroup,
  APIGroupList,
  APIResourceList,
  APIVersions,
} from "kubernetes-types/meta/v1.d.ts";
import { version } from "../version.ts";

const readVerbs = ["get", "list", "watch"];

/** `/api`. */
export const coreVersions: APIVersions = {
  kind: "APIVersions",
  versions: ["v1"],
  serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: "" }],
};

/** `/api/v1`. */
export const coreResources: APIResourceList = {
  kind: "APIResourceList",
  groupVersion: "v1",
  resources: [
    {
      name: "endpoints",
      singularName: "endpoints",
      namespaced: true,
      kind: "Endpoints",
      verbs: readVerbs,
      shortNames: ["ep"],
    },
    {
      name: "services",
      singularName: "service",
      namespaced: true,
      kind: "Service",
      verbs: readVerbs,
      shortNames: ["svc"],
      categories: ["all"],
    },
  ],
};

const discoveryGroup: APIGroup = {
  name: "discovery.k8s.io",
  versions: [{ groupVersion: "discovery.k8s.io/v1", version: "v1" }],
  preferredVersion: { groupVersion: "discovery.k8s.io/v1", version: "v1" },
};

/** `/apis`. */
export const groups: APIGroupList = {
  kind: "APIGroupList",
  apiVersion: "v1",
  groups: [discoveryGroup],
};

/** `/apis/discovery.k8s.io`. */
export const discoveryGroupDocument: APIGroup = {
  kind: "APIGroup",
  apiVersion: "v1",
  ...discoveryGroup,
};

/** `/apis/discovery.k8s.io/v1`. */
export const discoveryResources: APIResourceList = {
  kind: "APIResourceList",
  apiVersion: "v1",
  groupVersion: "discovery.k8s.io/v1",
  resources: [
    {
      name: "endpointslices",
      singularName: "endpointslice",
      namespaced: true,
      kind: "EndpointSlice",
      verbs: readVerbs,
    },
  ],
};

/** `/version`: the Emitter's own version, in kube-apiserver's shape. */
export function versionInfo(): Record<string, string> {
  const [major = "0", minor = "0"] = version.split(".");
  return {
    major,
    minor,
    gitVersion: `v${version}`,
    gitCommit: "",
    gitTreeState: "",
    buildDate: "",
    goVersion: "",
    compiler: "deno",
    platform: `${Deno.build.os}/${Deno.build.arch}`,
    emulationMajor: major,
    emulationMinor: minor,
  };
}
