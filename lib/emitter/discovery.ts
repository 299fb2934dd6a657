/**
 * The discovery documents of an Emitter: exactly the resources it serves
 * (core/v1 Services and Endpoints, discovery.k8s.io/v1 EndpointSlices, and
 * multicluster.x-k8s.io ServiceExports in the one version served, where
 * they are: see `served_apis.ts`), each with the read verbs only, so
 * clients never try to write.
 *
 * @module
 */

import type {
  APIGroup,
  APIGroupList,
  APIResourceList,
  APIVersions,
} from "kubernetes-types/meta/v1.d.ts";
import { mcsGroup, type McsVersion } from "../mcs/api.ts";
import { version } from "../version.ts";
import type { ServedApis } from "./served_apis.ts";

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

/** `/apis`: discovery.k8s.io, then the MCS group when ServiceExports are served in `serviceExports`. */
export function groupList(serviceExports: McsVersion | undefined): APIGroupList {
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: serviceExports ? [discoveryGroup, mcsGroupOf(serviceExports)] : [discoveryGroup],
  };
}

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

function mcsGroupOf(served: McsVersion): APIGroup {
  const only = { groupVersion: `${mcsGroup}/${served}`, version: served };
  return { name: mcsGroup, versions: [only], preferredVersion: only };
}

/** `/apis/multicluster.x-k8s.io` where ServiceExports are served in `served`: that version only. */
export function mcsGroupDocument(served: McsVersion): APIGroup {
  return { kind: "APIGroup", apiVersion: "v1", ...mcsGroupOf(served) };
}

/**
 * `/apis/multicluster.x-k8s.io/<served>`: ServiceExports, with the names
 * of mcs-api's CRD (its short names too, for `kubectl get svcex`).
 */
export function mcsResources(served: McsVersion): APIResourceList {
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: `${mcsGroup}/${served}`,
    resources: [
      {
        name: "serviceexports",
        singularName: "serviceexport",
        namespaced: true,
        kind: "ServiceExport",
        verbs: readVerbs,
        shortNames: ["svcex", "svcexport"],
      },
    ],
  };
}

/**
 * The discovery document at `path` (without a trailing slash) of an
 * Emitter serving `apis`, or undefined when `path` is none.
 */
export function discoveryDocument(path: string, apis: ServedApis): unknown {
  switch (path) {
    case "/version":
      return versionInfo();
    case "/api":
      return coreVersions;
    case "/api/v1":
      return coreResources;
    case "/apis":
      return groupList(apis.serviceExports);
    case "/apis/discovery.k8s.io":
      return discoveryGroupDocument;
    case "/apis/discovery.k8s.io/v1":
      return discoveryResources;
  }
  const served = apis.serviceExports;
  if (served === undefined) return undefined;
  if (path === `/apis/${mcsGroup}`) return mcsGroupDocument(served);
  if (path === `/apis/${mcsGroup}/${served}`) return mcsResources(served);
  return undefined;
}

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
