/**
 * Whether the client's own identity may send a request, asked of the
 * server with a `SelfSubjectAccessReview` (authorization.k8s.io/v1), as
 * `kubectl auth can-i` asks: the server's authorizers (RBAC, and any
 * other it runs) decide, for exactly the attributes given, and nothing
 * is sent on the resource itself. Every authenticated user may create
 * one (the `system:basic-user` ClusterRole grants it).
 *
 * A review is a snapshot: permissions granted or revoked later change
 * what the server decides for the request itself, not this answer.
 *
 * @module
 */

import type { KubeObject } from "./object.ts";
import type { ResourceType } from "./resource.ts";
import type { RestClient } from "./rest.ts";

/** The resource of `SelfSubjectAccessReview`s (create only; nothing is stored). */
export const selfSubjectAccessReviews: ResourceType = {
  group: "authorization.k8s.io",
  version: "v1",
  resource: "selfsubjectaccessreviews",
  kind: "SelfSubjectAccessReview",
  namespaced: false,
};

/** A request on a resource, as an access review names it. */
export interface ResourceAttributes {
  /** The verb, e.g. `update`. */
  verb: string;
  /** API group; empty for the core group. */
  group: string;
  /** Plural resource name, e.g. `endpointslices`. */
  resource: string;
  /** The namespace; empty or omitted: every namespace (and for a cluster-scoped resource, the cluster). */
  namespace?: string;
  /** One object's name; omitted for any. */
  name?: string;
  /** A subresource, e.g. `status`. */
  subresource?: string;
}

/** What the server decided. */
export interface AccessDecision {
  /** Whether the request would be allowed. */
  allowed: boolean;
  /** Why, in the authorizer's words; often empty. */
  reason: string;
  /** Set when an authorizer could not decide (the answer may then be wrong). */
  evaluationError?: string;
}

interface Review extends KubeObject {
  spec?: { resourceAttributes?: ResourceAttributes };
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

/**
 * Asks the server whether this client may send the request `attributes`
 * describe. Rejects as any request does (e.g. with a `StatusError`,
 * a `TransportError`, or the signal's reason).
 */
export async function reviewAccess(
  rest: RestClient,
  attributes: ResourceAttributes,
  options: { signal?: AbortSignal } = {},
): Promise<AccessDecision> {
  const { namespace, ...others } = attributes;
  const review = await rest.create<Review>(selfSubjectAccessReviews, {
    spec: { resourceAttributes: { ...others, ...(namespace ? { namespace } : {}) } },
  }, options.signal ? { signal: options.signal } : {});
  const status = review.status ?? {};
  return {
    allowed: status.allowed === true,
    reason: status.reason ?? "",
    ...(status.evaluationError ? { evaluationError: status.evaluationError } : {}),
  };
}
