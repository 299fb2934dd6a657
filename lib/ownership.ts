/**
 * The marks that say an object was written by a Reflector, and so belongs
 * to it: labels of this project, and the annotations of the 2019 Go
 * original (`service-reflector.squat.ai/...`), whose objects this project
 * adopts. Ownership is decided by these marks only, never by names.
 *
 * @module
 */

import type { KubeObject } from "./kube/object.ts";

/** Label on everything a Reflector writes; its value is {@linkcode managedByValue}. */
export const managedByLabel = "app.kubernetes.io/managed-by";
/** Value of {@linkcode managedByLabel}. */
export const managedByValue = "service-reflector";
/**
 * Label and annotation naming the source a mirror was reflected from (the
 * original's annotation, and this project's label of the same key).
 */
export const sourceKey = "service-reflector.squat.ai/source";
/** The original's annotation marking a reflected object (`"true"`). */
export const reflectedAnnotation = "service-reflector.squat.ai/reflected";
/** Annotation of a mirror whose sources disagree: their names, the winning one first, comma-separated. */
export const conflictAnnotation = "service-reflector.squat.ai/conflicting-sources";
/**
 * Annotation of a source Service choosing its mirror's name: `merged` (one
 * mirror of its own name for every source) or `per-source` (one mirror per
 * source, see `reflector/mirror_names.ts`).
 */
export const namingAnnotation = "service-reflector.squat.ai/mirror";
/** Annotation of a mirror named apart from its source Service: that Service's name. */
export const sourceServiceAnnotation = "service-reflector.squat.ai/source-service";
/** `endpointslice.kubernetes.io/managed-by` value of slices a Reflector writes. */
export const endpointSliceControllerName = "service-reflector.squat.ai";
/** The EndpointSlice label that names the controller managing a slice. */
export const endpointSliceManagedByLabel = "endpointslice.kubernetes.io/managed-by";
/**
 * Label of a Reflector's EndpointSlice naming its place among the slices
 * of its mirror and source (`<ipv4|ipv6>-<port set>-<chunk>`). With the
 * Service name and source labels it identifies the slice, whatever its
 * name: a slice whose wanted name is taken is written under another.
 */
export const sliceSlotLabel = "service-reflector.squat.ai/slot";

/**
 * Whether `object` was written by a Reflector (this project's or the
 * original's): such objects are never served by an Emitter, so clusters
 * that reflect each other do not echo.
 */
export function isReflected(object: KubeObject): boolean {
  const labels = object.metadata?.labels ?? {};
  return labels[managedByLabel] === managedByValue ||
    labels[endpointSliceManagedByLabel] === endpointSliceControllerName ||
    object.metadata?.annotations?.[reflectedAnnotation] === "true";
}

/**
 * Label naming the API an object was written in, on everything a Reflector
 * writes in the Multi-Cluster Services API (`mcs`). The mirror dialect's
 * objects carry none, as the original's and this project's always have.
 */
export const apiLabel = "service-reflector.squat.ai/api";

/** The {@linkcode apiLabel} value of what a Reflector writes in the Multi-Cluster Services API. */
export const mcsApi = "mcs";

/** Whether `object` was written by a Reflector in the mirror dialect: ours, and of no other API. */
export function isMirrorObject(object: KubeObject): boolean {
  return isReflected(object) && object.metadata?.labels?.[apiLabel] === undefined;
}

/** Whether `object` was written by a Reflector in the Multi-Cluster Services API. */
export function isMcsObject(object: KubeObject): boolean {
  return isReflected(object) && object.metadata?.labels?.[apiLabel] === mcsApi;
}

/**
 * The Multi-Cluster Services API label (KEP-1645) naming the cluster the
 * endpoints of a slice come from; a Reflector sets it to the source name.
 */
export const sourceClusterLabel = "multicluster.kubernetes.io/source-cluster";

/** Whether `slice` is an EndpointSlice a Reflector wrote (its controller label says so). */
export function isOurSlice(slice: KubeObject): boolean {
  return slice.metadata?.labels?.[endpointSliceManagedByLabel] === endpointSliceControllerName;
}

/** Whether `object` is core Endpoints a Reflector wrote. */
export function isOurEndpoints(object: KubeObject): boolean {
  return object.metadata?.labels?.[managedByLabel] === managedByValue;
}

/**
 * The source a Reflector's slice holds the endpoints of: its
 * {@linkcode sourceClusterLabel}, the one label every reader goes by ("" when
 * it has none). The slice also bears {@linkcode sourceKey}, of the same value.
 */
export function sliceSource(slice: KubeObject): string {
  return slice.metadata?.labels?.[sourceClusterLabel] ?? "";
}
