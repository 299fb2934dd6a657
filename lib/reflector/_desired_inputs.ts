/**
 * The inputs of the desired-state functions of `./desired.ts`: the objects
 * of one key in each source, validated and put in age order (the oldest
 * source Service first: it wins where sources disagree, as in the
 * Multi-Cluster Services API), and the host mirror that owns the endpoint
 * objects.
 *
 * @module
 */

import type { Endpoints, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import type { OwnerReference } from "kubernetes-types/meta/v1.d.ts";
import { cannot } from "../cannot.ts";
import { compare } from "./_desired_endpoints.ts";
import type { HostOwner } from "./desired_host.ts";
import type { ServiceExport } from "../mcs/api.ts";

/** The objects of one key in one source. */
export interface SourceObjects {
  /** The source's name, a non-empty label value (e.g. `east`). */
  source: string;
  /** The source Service, from the source's cache. */
  service: Service;
  /** The source's slices of that Service, when the source serves `discovery.k8s.io/v1`. */
  endpointSlices?: readonly EndpointSlice[];
  /** The source's core v1 Endpoints; used only when there are no slices. */
  endpoints?: Endpoints;
  /**
   * The source Service's own name when the mirror is named apart from it
   * (`service` is then a copy carrying the mirror's name); the mirror
   * names it in the `sourceServiceAnnotation`.
   */
  renamedFrom?: string;
  /** The Service's ServiceExport, when it is exported in the Multi-Cluster Services API. */
  serviceExport?: ServiceExport;
}

/** The host mirror Service that owns the endpoint objects: its name and uid. */
export type MirrorOwner = HostOwner;

const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * A sorted copy of `inputs`, oldest source Service first (by
 * `creationTimestamp`; one without comes after every one with), then by
 * source name in plain string order, so the first source is well defined
 * whatever order the sources are given in; after checking that there is at
 * least one input, that source names are unique, non-empty label values,
 * and that every Service has a name, a namespace and the same key. `what`
 * completes the error message ("Cannot <what> as ...").
 *
 * @throws {TypeError} If any check fails.
 */
export function orderedInputs(
  inputs: readonly SourceObjects[],
  what: string,
): [SourceObjects, ...SourceObjects[]] {
  // RFC 3339 times in UTC compare as text; "~" sorts after every digit.
  const created = (input: SourceObjects) => input.service.metadata?.creationTimestamp ?? "~";
  const sorted = [...inputs].sort((a, b) =>
    compare(created(a), created(b)) || compare(a.source, b.source)
  );
  const [first] = sorted;
  if (first === undefined) {
    throw new TypeError(cannot(what, "'inputs' must hold at least one source", []));
  }
  const key = keyOf(first, what);
  const seen = new Set<string>();
  sorted.forEach((input) => {
    const { source } = input;
    if (source === "" || source.length > 63 || !labelValue.test(source)) {
      throw new TypeError(cannot(what, "a source name must be a non-empty label value", source));
    }
    if (seen.has(source)) {
      throw new TypeError(
        `Cannot ${what} as source names must be unique: "${source}" is given twice`,
      );
    }
    seen.add(source);
    const other = keyOf(input, what);
    if (other !== key) {
      throw new TypeError(
        `Cannot ${what} as all Services must have the key "${key}": source "${source}" has "${other}"`,
      );
    }
  });
  return sorted as [SourceObjects, ...SourceObjects[]];
}

/** Whether `service` is of type ExternalName (it has no endpoints to mirror). */
export function isExternalName(service: Service): boolean {
  return service.spec?.type === "ExternalName";
}

/**
 * The first source (the oldest, see {@linkcode orderedInputs}), and the sources whose endpoints are mirrored:
 * none when the mirror (the first source's Service) is ExternalName, else
 * those whose own Service is not.
 *
 * @throws {TypeError} As {@linkcode orderedInputs}, or if `owner` lacks a name or uid.
 */
export function endpointSources(
  inputs: readonly SourceObjects[],
  owner: MirrorOwner,
  what: string,
): { first: SourceObjects; sources: SourceObjects[] } {
  if (!owner.name || !owner.uid) {
    throw new TypeError(cannot(what, "'owner' must have a name and a uid", owner));
  }
  const sorted = orderedInputs(inputs, what);
  const first = sorted[0];
  if (isExternalName(first.service)) return { first, sources: [] };
  return { first, sources: sorted.filter((input) => !isExternalName(input.service)) };
}

/** The controller reference of an endpoint object to its mirror `owner`. */
export function ownerReference(owner: MirrorOwner): OwnerReference {
  return {
    apiVersion: "v1",
    kind: "Service",
    name: owner.name,
    uid: owner.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

function keyOf({ source, service }: SourceObjects, what: string): string {
  const { name, namespace } = service.metadata ?? {};
  if (!name || !namespace) {
    throw new TypeError(
      cannot(
        what,
        `the Service of source "${source}" must have metadata.name and metadata.namespace`,
        service.metadata ?? null,
      ),
    );
  }
  return `${namespace}/${name}`;
}
