/**
 * Asks a server which resources it serves, from its discovery documents
 * (`/api/v1`, `/apis/<group>/<version>`), so a caller can adapt before it
 * lists (e.g. fall back to core v1 Endpoints where EndpointSlices are not
 * served, as the original Go Emitter does).
 *
 * @module
 */

import type { APIResourceList } from "kubernetes-types/meta/v1.d.ts";
import type { CallOptions, RestClient } from "./rest.ts";
import type { ResourceType } from "./resource.ts";
import { isNotFound } from "./status_error.ts";

/**
 * Whether the server serves `type` with the verbs `list` and `watch`.
 * A missing group/version (404) is a plain "no"; any other failure throws.
 */
export async function servesResource(
  rest: RestClient,
  type: ResourceType,
  options: CallOptions = {},
): Promise<boolean> {
  const path = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
  let list: APIResourceList;
  try {
    list = await rest.transport.json<APIResourceList>(
      path,
      options.signal ? { signal: options.signal } : {},
    );
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
  const resource = list.resources?.find((entry) => entry.name === type.resource);
  return resource !== undefined && ["list", "watch"].every((verb) => resource.verbs.includes(verb));
}
