/**
 * The parts of a mirror Service derived from its source Service alone: the
 * spec, and the labels and annotations worth copying. See `./desired.ts`
 * for the whole mirror.
 *
 * Every function returns fresh objects that share nothing with its input.
 *
 * @module
 */

import type { ServiceSpec } from "kubernetes-types/core/v1.d.ts";
import {
  conflictAnnotation,
  endpointSliceManagedByLabel,
  managedByLabel,
  reflectedAnnotation,
  sourceClusterLabel,
  sourceKey,
  sourceServiceAnnotation,
} from "../ownership.ts";

const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";
/**
 * Labels and annotations never copied from a source object: kubectl's
 * record of the source's last apply, and every ownership mark (a source
 * object may itself be a mirror); the mirror sets its own marks.
 */
export const strippedKeys: ReadonlySet<string> = new Set([
  lastAppliedAnnotation,
  managedByLabel,
  sourceKey,
  reflectedAnnotation,
  endpointSliceManagedByLabel,
  sourceClusterLabel,
  conflictAnnotation,
  sourceServiceAnnotation,
]);

/**
 * A copy of a source object's labels or annotations without the keys in
 * {@linkcode strippedKeys}.
 */
export function copied(values: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(values ?? {}).filter(([key]) => !strippedKeys.has(key)));
}

/**
 * A copy of `values` with its keys in sorted order, the order in which the
 * API server returns labels and annotations (Go encodes maps sorted by key),
 * so that a desired object and the stored one agree even when compared as
 * JSON text.
 */
export function sortedByKey(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The spec of the mirror of a Service with `spec`: no selector; ports with
 * `name`, `protocol` (TCP by default), `port` and `appProtocol` only;
 * ExternalName kept with its `externalName`, every other type ClusterIP,
 * headless kept headless, and no cluster IP otherwise (the host allocates
 * its own); `ipFamilies` and `ipFamilyPolicy` (not for ExternalName, where
 * the API forbids them), `sessionAffinity`, `sessionAffinityConfig` and
 * `publishNotReadyAddresses` kept. Everything else is dropped: node ports,
 * load balancer fields, `externalIPs`, `externalTrafficPolicy`, and
 * `internalTrafficPolicy` and `trafficDistribution`, which choose endpoints
 * by node and zone while mirrored endpoints carry neither.
 */
export function mirrorSpec(spec: ServiceSpec): ServiceSpec {
  const externalName = spec.type === "ExternalName";
  const mirror: ServiceSpec = { type: externalName ? "ExternalName" : "ClusterIP" };
  if (externalName && spec.externalName !== undefined) mirror.externalName = spec.externalName;
  if (!externalName && spec.clusterIP === "None") {
    mirror.clusterIP = "None";
    mirror.clusterIPs = ["None"];
  }
  if (spec.ports !== undefined) {
    mirror.ports = spec.ports.map(({ name, protocol, port, appProtocol }) => ({
      ...(name === undefined ? {} : { name }),
      protocol: protocol ?? "TCP",
      port,
      ...(appProtocol === undefined ? {} : { appProtocol }),
    }));
  }
  if (!externalName && spec.ipFamilies !== undefined) mirror.ipFamilies = [...spec.ipFamilies];
  if (!externalName && spec.ipFamilyPolicy !== undefined) {
    mirror.ipFamilyPolicy = spec.ipFamilyPolicy;
  }
  if (spec.sessionAffinity !== undefined) mirror.sessionAffinity = spec.sessionAffinity;
  if (spec.sessionAffinityConfig !== undefined) {
    mirror.sessionAffinityConfig = structuredClone(spec.sessionAffinityConfig);
  }
  if (spec.publishNotReadyAddresses !== undefined) {
    mirror.publishNotReadyAddresses = spec.publishNotReadyAddresses;
  }
  return mirror;
}
