/**
 * The legacy core v1 Endpoints of a mirror, for `--reflector.endpoints=true`:
 * the same endpoints as the mirror's EndpointSlices (see `./desired.ts`),
 * merged across sources into one object, for consumers that still read
 * Endpoints (deprecated since Kubernetes 1.33). Pure and deterministic like
 * the rest of `./desired.ts`.
 *
 * @module
 */

import type {
  EndpointAddress,
  EndpointPort as CoreEndpointPort,
  Endpoints,
  EndpointSubset,
} from "kubernetes-types/core/v1.d.ts";
import type { Endpoint, EndpointPort as SlicePort } from "kubernetes-types/discovery/v1.d.ts";
import { managedByLabel, managedByValue, reflectedAnnotation, sourceKey } from "../ownership.ts";
import { compare, endpointGroups, preferredEndpoint } from "./_desired_endpoints.ts";
import {
  endpointSources,
  isExternalName,
  type MirrorOwner,
  ownerReference,
  type SourceObjects,
} from "./_desired_inputs.ts";
import { sortedByKey } from "./_desired_service.ts";

/** Keeps the built-in mirroring controller from copying our Endpoints into slices. */
const skipMirrorLabel = "endpointslice.kubernetes.io/skip-mirror";

/**
 * The legacy core v1 Endpoints of the mirror named by `owner` (for
 * `--reflector.endpoints=true`), or undefined when the mirror is
 * ExternalName.
 *
 * Endpoints of every source are merged, one IP once (the preferred one as
 * for slices), into one subset per port set; ready endpoints go to
 * `addresses`, the others to `notReadyAddresses`, each keeping its
 * hostname. Ports without a number (slice ports meaning "all ports") have
 * no core v1 form and are left out. The object carries the ownership marks
 * of the first source, the `endpointslice.kubernetes.io/skip-mirror` label
 * (so the built-in mirroring controller does not copy it into slices
 * again) and a controller reference to `owner`.
 *
 * @throws {TypeError} If `owner` lacks a name or uid, `inputs` is empty,
 * names a source twice or with an invalid label value, or holds Services of
 * different keys.
 */
export function mirrorEndpoints(
  inputs: readonly SourceObjects[],
  owner: MirrorOwner,
): Endpoints | undefined {
  const { first, sources } = endpointSources(inputs, owner, "mirror Endpoints");
  if (isExternalName(first.service)) return undefined;
  const subsets = new Map<string, Subset>();
  for (const { endpointSlices, endpoints } of sources) {
    for (const group of endpointGroups(endpointSlices, endpoints)) {
      const ports = group.ports.flatMap(corePort);
      const key = JSON.stringify(ports);
      const subset = subsets.get(key) ?? { ports, byIp: new Map() };
      subsets.set(key, subset);
      for (const endpoint of group.endpoints) {
        const ip = endpoint.addresses[0] as string;
        const seen = subset.byIp.get(ip);
        subset.byIp.set(ip, seen ? preferredEndpoint(seen, endpoint) : endpoint);
      }
    }
  }
  return {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: {
      name: first.service.metadata?.name as string,
      namespace: first.service.metadata?.namespace as string,
      labels: sortedByKey({
        [managedByLabel]: managedByValue,
        [sourceKey]: first.source,
        [skipMirrorLabel]: "true",
      }),
      annotations: sortedByKey({ [reflectedAnnotation]: "true", [sourceKey]: first.source }),
      ownerReferences: [ownerReference(owner)],
    },
    subsets: [...subsets.entries()]
      .sort(([a], [b]) => compare(a, b))
      .map(([, subset]) => coreSubset(subset)),
  };
}

/** A core v1 subset being built: its ports and its endpoints by IP. */
interface Subset {
  ports: CoreEndpointPort[];
  byIp: Map<string, Endpoint>;
}

function corePort(port: SlicePort): CoreEndpointPort[] {
  if (port.port === undefined) return [];
  const core: CoreEndpointPort = { port: port.port };
  if (port.name !== undefined) core.name = port.name;
  if (port.protocol !== undefined) core.protocol = port.protocol;
  if (port.appProtocol !== undefined) core.appProtocol = port.appProtocol;
  return [core];
}

function coreSubset({ ports, byIp }: Subset): EndpointSubset {
  const ready: EndpointAddress[] = [];
  const notReady: EndpointAddress[] = [];
  for (const ip of [...byIp.keys()].sort(compare)) {
    const endpoint = byIp.get(ip) as Endpoint;
    const address: EndpointAddress = { ip };
    if (endpoint.hostname !== undefined) address.hostname = endpoint.hostname;
    (endpoint.conditions?.ready === false ? notReady : ready).push(address);
  }
  const subset: EndpointSubset = {};
  if (ready.length > 0) subset.addresses = ready;
  if (notReady.length > 0) subset.notReadyAddresses = notReady;
  if (ports.length > 0) subset.ports = ports;
  return subset;
}
