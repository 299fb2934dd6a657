/**
 * Every request the Reflector sends to its host cluster, as permissions
 * (one per verb, resource and namespace scope) given its settings: what
 * the host role must grant for them. `manifests/base/rbac.yaml` grants the
 * whole list for every setting; the command checks the list once at
 * start-up with access reviews ({@linkcode reviewHostPermissions}) and
 * warns of each permission missing, and a `check` command can print it.
 *
 * The list follows the code:
 *
 * - Services and EndpointSlices: `list` and `watch` (host informers),
 *   `create`, `update`, `delete` (mirrors and their slices), `get` (after
 *   a create answered AlreadyExists, and, for slices, with `list`, to find
 *   endpoints the host's controllers wrote for a selector added by hand).
 * - Endpoints, in the mirror dialect: `list`, `watch` and `get` always
 *   (the informer of the Reflector's own, and the same search for foreign
 *   endpoints); `create`, `update` and `delete` only when it writes them
 *   (`legacyEndpoints`). Endpoints an earlier run wrote with it are deleted
 *   on sight, which then needs `delete`; that case is not listed.
 * - ServiceImports, in the MCS dialect: `list` and `watch` (host informer),
 *   `get`, `create`, `update`, `delete`, and `update` of their `status`
 *   (the clusters of each import). ServiceExports: `list` and `watch` (the
 *   host's own exports), and `update` of their `status`, the one write to
 *   objects a user made (their `Valid`, `Ready` and `Conflict` conditions).
 * - Namespaces (cluster-scoped): `list` and `watch` always (keys waiting for
 *   one are woken when it appears); `create` only with `createNamespaces`.
 * - Events: `create` (NotOwned, MergeConflict and similar warnings).
 * - Leases: `get`, `create` and `update` of the one Lease, in its
 *   namespace, only under leader election.
 *
 * With a `namespace` setting, every namespaced permission is asked in that
 * namespace only, as the Reflector sends nothing outside it.
 *
 * @module
 */

import {
  type AccessDecision,
  type ResourceAttributes,
  reviewAccess,
} from "../kube/access_review.ts";
import type { RestClient } from "../kube/rest.ts";
import type { ReflectorApi } from "./reflector_api.ts";

/** One permission the Reflector needs in the host, and why. */
export interface HostPermission extends ResourceAttributes {
  /** The namespace; empty: every namespace, or, for a cluster-scoped resource, the cluster. */
  namespace: string;
  /** Which code sends the request. */
  why: string;
}

/** The settings the list depends on. */
export interface HostPermissionsOptions {
  /** The dialect (`--reflector.api`); defaults to `mirror`. */
  api?: ReflectorApi;
  /** The only namespace read and written (`--namespace`); omitted for all. */
  namespace?: string;
  /** Whether core v1 Endpoints are written (`--reflector.endpoints`). */
  legacyEndpoints: boolean;
  /** Whether missing namespaces are created (`--reflector.create-namespaces`). */
  createNamespaces: boolean;
  /** Under leader election, the namespace of the Lease. */
  leaseNamespace?: string;
}

/** The permissions the Reflector needs in the host with `options`, in a fixed order. */
export function hostPermissions(options: HostPermissionsOptions): HostPermission[] {
  const namespace = options.namespace ?? "";
  const each = (group: string, resource: string, verbs: string[], why: string, at = namespace) =>
    verbs.map((verb): HostPermission => ({ verb, group, resource, namespace: at, why }));
  const informer = "the host informer of it";
  return [
    ...each("", "services", ["list", "watch"], informer),
    ...each("", "services", ["get"], "the applier, after a create answered AlreadyExists"),
    ...each("", "services", ["create", "update", "delete"], "the applier: mirror Services"),
    ...each("discovery.k8s.io", "endpointslices", ["list", "watch"], informer),
    ...each(
      "discovery.k8s.io",
      "endpointslices",
      ["get"],
      "the applier, after a create answered AlreadyExists",
    ),
    ...each("discovery.k8s.io", "endpointslices", ["create", "update", "delete"], "mirror slices"),
    ...(options.api === "mcs" ? importPermissions(each) : endpointsPermissions(each, options)),
    ...each("", "namespaces", ["list", "watch"], informer, ""),
    ...(options.createNamespaces
      ? each("", "namespaces", ["create"], "--reflector.create-namespaces", "")
      : []),
    ...each("", "events", ["create"], "warnings on mirrors and on Services in their way"),
    ...(options.leaseNamespace !== undefined
      ? each(
        "coordination.k8s.io",
        "leases",
        ["get", "create", "update"],
        "--leader-elect",
        options.leaseNamespace,
      )
      : []),
  ];
}

/** Makes the permissions of `verbs` on `resource` of `group`, and why. */
type Each = (group: string, resource: string, verbs: string[], why: string) => HostPermission[];

/** The mirror dialect's core Endpoints permissions. */
function endpointsPermissions(each: Each, options: HostPermissionsOptions): HostPermission[] {
  return [
    ...each("", "endpoints", ["list", "watch"], "the host informer of it"),
    ...each("", "endpoints", ["get"], "the search for foreign endpoints of a mirror"),
    ...(options.legacyEndpoints
      ? each("", "endpoints", ["create", "update", "delete"], "--reflector.endpoints")
      : []),
  ];
}

/** The MCS dialect's ServiceImport permissions. */
function importPermissions(each: Each): HostPermission[] {
  const group = "multicluster.x-k8s.io";
  return [
    ...each(group, "serviceimports", ["list", "watch"], "the host informer of it"),
    ...each(group, "serviceimports", ["get"], "the applier, after a create answered AlreadyExists"),
    ...each(group, "serviceimports", ["create", "update", "delete"], "the applier: ServiceImports"),
    ...each(group, "serviceimports", ["update"], "the applier: each import's clusters")
      .map((permission) => ({ ...permission, subresource: "status" })),
    ...each(group, "serviceexports", ["list", "watch"], "the host informer of the host's exports"),
    ...each(group, "serviceexports", ["update"], "the conditions of the host's own exports")
      .map((permission) => ({ ...permission, subresource: "status" })),
  ];
}

/** A permission and what the host decided for it. */
export interface ReviewedPermission {
  /** The permission asked. */
  permission: HostPermission;
  /** The host's answer. */
  decision: AccessDecision;
}

/**
 * Asks the host, one access review each, in order, whether `rest`'s
 * identity has each of `permissions`. Rejects with the first review that
 * fails (the host unreachable, or refusing reviews).
 */
export async function reviewHostPermissions(
  rest: RestClient,
  permissions: readonly HostPermission[],
  options: { signal?: AbortSignal } = {},
): Promise<ReviewedPermission[]> {
  const reviewed: ReviewedPermission[] = [];
  for (const permission of permissions) {
    const { why: _, ...attributes } = permission;
    reviewed.push({ permission, decision: await reviewAccess(rest, attributes, options) });
  }
  return reviewed;
}
