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
 * A missing group/version (404) is a plain "no"; any other failure throws,
 * and so does a document longer than `maxBytes` (a `LimitExceededError`).
 */
export async function servesResource(
  rest: RestClient,
  type: ResourceType,
  options: CallOptions & { maxBytes?: number } = {},
): Promise<boolean> {
  const path = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
  let list: APIResourceList;
  try {
    list = await rest.transport.json<APIResourceList>(path, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
    });
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
  const resources: unknown = list?.resources;
  const resource = Array.isArray(resources)
    ? resources.find((entry) => entry?.name === type.resource)
    : undefined;
  const verbs: unknown = resource?.verbs;
  return Array.isArray(verbs) && ["list", "watch"].every((verb) => verbs.includes(verb));
}
