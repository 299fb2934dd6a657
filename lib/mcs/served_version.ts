/**
 * Which version of the Multi-Cluster Services API a cluster serves, found
 * from its discovery: the preferred `v1beta1`, else `v1alpha1` (the schemas
 * are the same), else none (the CRDs are not installed).
 *
 * @module
 */

import { servesResource } from "../kube/discovery.ts";
import type { RestClient } from "../kube/rest.ts";
import type { ResourceType } from "../kube/resource.ts";
import { type McsVersion, mcsVersions } from "./api.ts";

/**
 * The first of `mcsVersions` in which `rest`'s server serves the resource
 * `of(version)`; undefined when it serves it in none.
 *
 * @throws What discovery throws for a server that does not answer.
 */
export async function servedMcsVersion(
  rest: RestClient,
  of: (version: McsVersion) => ResourceType,
  options: { signal?: AbortSignal; maxBytes?: number } = {},
): Promise<McsVersion | undefined> {
  for (const version of mcsVersions) {
    if (await servesResource(rest, of(version), options)) return version;
  }
  return undefined;
}
