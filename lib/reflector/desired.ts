/**
 * The Reflector's desired host state for one key (`namespace/name`), as
 * pure functions of the source objects of that key: the mirror Service,
 * its EndpointSlices and, optionally, its legacy core v1 Endpoints.
 *
 * Contract:
 *
 * - Pure and deterministic: equal inputs give deep-equal outputs, whatever
 *   the order of the sources, of their slices, endpoints and ports. Inputs
 *   are never mutated and outputs share no object with them, so callers
 *   may pass cached objects and modify the results.
 * - With several sources, the mirror Service is merged as the Multi-Cluster
 *   Services API merges an import (`_desired_merge.ts`): ports are the union
 *   by name, and the oldest source Service (then the first by source name)
 *   wins where the sources disagree, and gives the labels and annotations;
 *   the disagreements are returned as conflicts, and named on the mirror.
 *   Endpoints come from every source, each source's in its own slices
 *   labelled with it.
 * - Everything returned carries the ownership marks of `../ownership.ts`,
 *   set after any copied labels and annotations, so a source object that
 *   carries marks of its own (a mirror reflected again) never makes the
 *   mirror look unowned or name the wrong source. Labels and annotations
 *   are emitted with sorted keys, as the API server returns them.
 * - Outputs carry no server-owned fields (uid, resourceVersion,
 *   creationTimestamp, managedFields, status) and nothing that only means
 *   something in the source cluster (selector, cluster IPs, node ports,
 *   load balancer fields, node names, zones, target references).
 *
 * {@linkcode desiredMirror} bundles the three for the applier, which
 * compares them with the host and writes the difference. The endpoint
 * objects are a function of their owner there, because they carry a
 * controller reference with the mirror Service's uid, which the host
 * assigns only once it creates the Service: the applier asks for them with
 * the Service as the host holds it after its own write.
 *
 * @module
 */

import type { Endpoints, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { objectKey, serviceNameLabel } from "../kube/object.ts";
import { cannot } from "../cannot.ts";
import {
  conflictAnnotation,
  endpointSliceControllerName,
  endpointSliceManagedByLabel,
  managedByLabel,
  managedByValue,
  reflectedAnnotation,
  sliceSlotLabel,
  sourceClusterLabel,
  sourceKey,
  sourceServiceAnnotation,
} from "../ownership.ts";
import { compare, endpointGroups } from "./_desired_endpoints.ts";
import {
  endpointSources,
  type MirrorOwner,
  orderedInputs,
  ownerReference,
  type SourceObjects,
} from "./_desired_inputs.ts";
import { sliceName } from "./_desired_name.ts";
import { copied, sortedByKey } from "./_desired_service.ts";
import { type MergeConflict, mergedSpec } from "./_desired_merge.ts";
import { mirrorEndpoints } from "./_desired_core_endpoints.ts";
import type { DesiredHost } from "./desired_host.ts";
import { mirrorLayout } from "./mirror_kinds.ts";

export { mirrorEndpoints };
export type { MergeConflict, MirrorOwner, SourceObjects };

/** Options of {@linkcode mirrorEndpointSlices}. */
export interface MirrorEndpointSlicesOptions {
  /** Most endpoints per slice, from 1 to 1000. Defaults to 100, as the built-in controller. */
  maxEndpointsPerSlice?: number;
}

/**
 * The mirror Service in the host: same namespace and name, the spec merged
 * from every source (`_desired_merge.ts`), labels and annotations from the
 * oldest source, and, when the sources disagree, the
 * {@linkcode conflictAnnotation} naming them.
 *
 * The spec has no selector (the Reflector writes the endpoints); ports keep
 * `name`, `protocol` (TCP by default), `port` and `appProtocol`. ClusterIP,
 * NodePort and LoadBalancer Services become ClusterIP Services without their
 * node port and load balancer fields, and never with the source's cluster
 * IPs (the host allocates its own); headless Services stay headless;
 * ExternalName Services keep `externalName`. `ipFamilies`, `ipFamilyPolicy`
 * (not for ExternalName), `sessionAffinity`, `sessionAffinityConfig` and
 * `publishNotReadyAddresses` are kept. `internalTrafficPolicy` and
 * `trafficDistribution` are dropped: they select endpoints by node and zone,
 * which mirrored endpoints do not carry.
 *
 * @throws {TypeError} If `inputs` is empty, names a source twice or with an
 * invalid label value, or holds Services of different keys.
 */
export function mirrorService(inputs: readonly SourceObjects[]): Service {
  return mergedMirror(inputs).service;
}

/** The mirror Service and the conflicts between its sources. */
function mergedMirror(inputs: readonly SourceObjects[]): {
  service: Service;
  conflicts: MergeConflict[];
} {
  const ordered = orderedInputs(inputs, "mirror a Service");
  const [{ source, service, renamedFrom }] = ordered;
  const metadata = service.metadata ?? {};
  const { spec, conflicts } = mergedSpec(ordered);
  const conflicting = [...new Set(conflicts.flatMap((each) => each.sources))];
  const mirror: Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: metadata.name as string,
      namespace: metadata.namespace as string,
      labels: sortedByKey({
        ...copied(metadata.labels),
        [managedByLabel]: managedByValue,
        [sourceKey]: source,
      }),
      annotations: sortedByKey({
        ...copied(metadata.annotations),
        [reflectedAnnotation]: "true",
        [sourceKey]: source,
        ...(renamedFrom ? { [sourceServiceAnnotation]: renamedFrom } : {}),
        ...(conflicting.length > 0 ? { [conflictAnnotation]: conflicting.join(",") } : {}),
      }),
    },
    spec,
  };
  return { service: mirror, conflicts };
}

/**
 * The EndpointSlices of the mirror named by `owner`, sorted by name.
 *
 * Each source's endpoints (see `./_desired_endpoints.ts`) go into slices of
 * their own, one run per address type and port set, each run sorted by
 * address and cut into slices of at most `maxEndpointsPerSlice`. A slice's
 * slot is `<ipv4|ipv6>-<port set index>-<chunk index>` (port sets indexed
 * per source and address type in a fixed order), and it asks for the name
 * `<owner>.<source>.<slot>` (`_desired_name.ts`: distinct slices never ask
 * for the same name). Slices carry the Service name, slot, managed-by,
 * source and source-cluster labels and a controller reference to `owner`. There are none when the mirror, or a
 * source's own Service, is ExternalName.
 *
 * @throws {TypeError} As {@linkcode mirrorService}, or if `owner` lacks a name or uid.
 * @throws {RangeError} If `maxEndpointsPerSlice` is not an integer from 1 to 1000.
 */
export function mirrorEndpointSlices(
  inputs: readonly SourceObjects[],
  owner: MirrorOwner,
  options: MirrorEndpointSlicesOptions = {},
): EndpointSlice[] {
  const max = options.maxEndpointsPerSlice ?? 100;
  if (!Number.isInteger(max) || max < 1 || max > 1000) {
    throw new RangeError(
      cannot(
        "mirror EndpointSlices",
        "'maxEndpointsPerSlice' must be an integer from 1 to 1000",
        max,
      ),
    );
  }
  const { sources } = endpointSources(inputs, owner, "mirror EndpointSlices");
  const reference = ownerReference(owner);
  const slices: EndpointSlice[] = [];
  for (const { source, service, endpointSlices, endpoints } of sources) {
    const portSetIndex = new Map<string, number>();
    for (const group of endpointGroups(endpointSlices, endpoints)) {
      const index = portSetIndex.get(group.addressType) ?? 0;
      portSetIndex.set(group.addressType, index + 1);
      for (let chunk = 0; chunk * max < group.endpoints.length; chunk++) {
        const slot = `${group.addressType.toLowerCase()}-${index}-${chunk}`;
        slices.push({
          apiVersion: "discovery.k8s.io/v1",
          kind: "EndpointSlice",
          metadata: {
            name: sliceName(owner.name, source, slot),
            namespace: service.metadata?.namespace as string,
            labels: sortedByKey({
              [serviceNameLabel]: owner.name,
              [sliceSlotLabel]: slot,
              [endpointSliceManagedByLabel]: endpointSliceControllerName,
              [managedByLabel]: managedByValue,
              [sourceKey]: source,
              [sourceClusterLabel]: source,
            }),
            ownerReferences: [{ ...reference }],
          },
          addressType: group.addressType,
          endpoints: group.endpoints.slice(chunk * max, (chunk + 1) * max),
          // Each slice gets its own copies, so that no two outputs share an object.
          ports: chunk === 0 ? group.ports : group.ports.map((port) => ({ ...port })),
        });
      }
    }
  }
  return slices.sort((a, b) => compare(a.metadata?.name ?? "", b.metadata?.name ?? ""));
}

/** The endpoint objects of one mirror, owned by its Service. */
export interface MirrorEndpointObjects {
  /** Its EndpointSlices, as {@linkcode mirrorEndpointSlices} gives them. */
  endpointSlices: EndpointSlice[];
  /** Its core v1 Endpoints; undefined when none are written (the Reflector's are then deleted). */
  endpoints: Endpoints | undefined;
}

/** The desired host state of one exported key, as the applier takes it. */
export interface DesiredMirror extends DesiredHost {
  /** The mirror Service, as {@linkcode mirrorService} gives it. */
  readonly service: Service;
  /**
   * The endpoint objects owned by `owner`, the mirror Service as the host
   * holds it (its uid is assigned by the host). Pure, as every function
   * here: equal owners give deep-equal objects.
   */
  endpointsFor(owner: MirrorOwner): MirrorEndpointObjects;
}

/** Options of {@linkcode desiredMirror}. */
export interface DesiredMirrorOptions {
  /** Whether the mirror has core v1 Endpoints too (as {@linkcode mirrorEndpoints} gives them). */
  legacyEndpoints: boolean;
}

/**
 * The desired mirror of the key of `inputs` (at least one source exports
 * it). The Service is computed at once, so invalid inputs throw here; the
 * endpoint objects when the applier asks for them.
 *
 * @throws {TypeError} As {@linkcode mirrorService}.
 */
export function desiredMirror(
  inputs: readonly SourceObjects[],
  options: DesiredMirrorOptions,
): DesiredMirror {
  const { service, conflicts } = mergedMirror(inputs);
  const endpointsFor = (owner: MirrorOwner): MirrorEndpointObjects => ({
    endpointSlices: mirrorEndpointSlices(inputs, owner),
    endpoints: options.legacyEndpoints ? mirrorEndpoints(inputs, owner) : undefined,
  });
  return {
    layout: mirrorLayout(objectKey(service)),
    owner: service,
    service,
    conflicts,
    endpointsFor,
    ownedBy: (owner) => {
      const owned = endpointsFor(owner);
      return { sets: [owned.endpointSlices], singles: [owned.endpoints] };
    },
  };
}
