/**
 * The Multi-Cluster Services API (KEP-1645, `sigs.k8s.io/mcs-api`), as
 * this project reads and writes it: the group `multicluster.x-k8s.io`, its
 * ServiceExport (a user's "export this Service") and ServiceImport (what
 * every cluster of the set gets), and the well-known labels. Types follow
 * `pkg/apis/v1beta1` of mcs-api v0.5.2, whose `v1alpha1` has the same
 * schema.
 *
 * @module
 */

import type { ServiceSpec } from "kubernetes-types/core/v1.d.ts";
import type { Condition, ObjectMeta } from "kubernetes-types/meta/v1.d.ts";
import type { ResourceType } from "../kube/resource.ts";

/** The API group. */
export const mcsGroup = "multicluster.x-k8s.io";

/** The versions served by mcs-api v0.5.2's CRDs, the preferred (and stored) one first. */
export const mcsVersions = ["v1beta1", "v1alpha1"] as const;

/** A served version of the group. */
export type McsVersion = typeof mcsVersions[number];

/** The MCS API's resource of `kind` (`resource`, its plural) in `version`. */
function mcsResource(resource: string, kind: string, version: McsVersion): ResourceType {
  return { group: mcsGroup, version, resource, kind, namespaced: true };
}

/** ServiceExports of `version`. */
export function serviceExports(version: McsVersion = "v1beta1"): ResourceType {
  return mcsResource("serviceexports", "ServiceExport", version);
}

/** ServiceImports of `version`. */
export function serviceImports(version: McsVersion = "v1beta1"): ResourceType {
  return mcsResource("serviceimports", "ServiceImport", version);
}

/** Label of an import's EndpointSlices (and derived Service): the name of the exported Service. */
export const mcsServiceNameLabel = "multicluster.kubernetes.io/service-name";

/** Annotation of a ServiceImport naming its derived Service. */
export const derivedServiceAnnotation = "multicluster.kubernetes.io/derived-service";

/** A ServiceExport: the Service of the same namespace and name is exported. */
export interface ServiceExport {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: {
    /** Labels the ServiceImport carries (of the oldest export, on a merge). */
    exportedLabels?: Record<string, string>;
    /** Annotations the ServiceImport carries (of the oldest export, on a merge). */
    exportedAnnotations?: Record<string, string>;
  };
  status?: { conditions?: Condition[] };
}

/** A port of a ServiceImport. */
export interface ServiceImportPort {
  name?: string;
  protocol?: string;
  appProtocol?: string;
  port: number;
}

/** How an import is reached: by its cluster-set IPs, or by its endpoints' IPs. */
export type ServiceImportType = "ClusterSetIP" | "Headless";

/** A ServiceImport: one exported Service as the whole cluster set has it. */
export interface ServiceImport {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: {
    ports: ServiceImportPort[];
    /** The cluster-set IPs, in `ipFamilies` order; none when Headless. */
    ips?: string[];
    type: ServiceImportType;
    sessionAffinity?: ServiceSpec["sessionAffinity"];
    sessionAffinityConfig?: ServiceSpec["sessionAffinityConfig"];
    ipFamilies?: string[];
    internalTrafficPolicy?: string;
    trafficDistribution?: string;
  };
  status?: {
    /** The clusters whose exports make the import. */
    clusters?: { cluster: string }[];
    conditions?: Condition[];
  };
}
