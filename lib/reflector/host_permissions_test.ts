import { deepStrictEqual } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { ClusterRole, Role } from "kubernetes-types/rbac/v1.d.ts";
import { parseAllDocuments } from "yaml";
import { withClusters } from "../../tests/cluster/mod.ts";
import { adminConfig, tokenConfig } from "../../tests/support/client_configs.ts";
import { applyClusterRole, installIdentity } from "../../tests/support/manifests_identity.ts";
import { withTempDir } from "../../tests/support/kubeconfig_fixtures.ts";
import { RestClient } from "../kube/rest.ts";
import { Transport } from "../kube/transport.ts";
import { type HostPermission, hostPermissions, reviewHostPermissions } from "./host_permissions.ts";

const granted = (permissions: readonly HostPermission[]) =>
  [...new Set(permissions.map(({ group, resource, verb }) => `${group}/${resource}:${verb}`))]
    .sort();

Deno.test("hostPermissions() with every setting on is exactly what manifests/base/rbac.yaml grants", async () => {
  const path = fileURLToPath(new URL("../../manifests/base/rbac.yaml", import.meta.url));
  const roles = parseAllDocuments(await Deno.readTextFile(path))
    .map((document) => document.toJS() as ClusterRole | Role)
    .filter((document) => document.kind === "ClusterRole" || document.kind === "Role");
  const grants = (kind: string) =>
    roles.filter((role) => role.kind === kind).flatMap((role) =>
      (role.rules ?? []).flatMap((rule) =>
        (rule.apiGroups ?? []).flatMap((group) =>
          (rule.resources ?? []).flatMap((resource) =>
            rule.verbs.map((verb) => `${group}/${resource}:${verb}`)
          )
        )
      )
    ).sort();
  const needed = hostPermissions({
    legacyEndpoints: true,
    createNamespaces: true,
    leaseNamespace: "service-reflector",
  });
  deepStrictEqual(
    granted(needed.filter((each) => each.resource !== "leases")),
    grants("ClusterRole"),
  );
  deepStrictEqual(granted(needed.filter((each) => each.resource === "leases")), grants("Role"));
  deepStrictEqual(
    [...new Set(needed.map((each) => `${each.resource} in "${each.namespace}"`))],
    [
      'services in ""',
      'endpointslices in ""',
      'endpoints in ""',
      'namespaces in ""',
      'events in ""',
      'leases in "service-reflector"',
    ],
    "cluster-wide but for the Lease",
  );
});

Deno.test("hostPermissions() needs no Endpoints writes, namespace creation or Lease unless set, and stays in --namespace", () => {
  const needed = hostPermissions({
    namespace: "shop",
    legacyEndpoints: false,
    createNamespaces: false,
  });
  deepStrictEqual(granted(needed), [
    "/endpoints:get",
    "/endpoints:list",
    "/endpoints:watch",
    "/events:create",
    "/namespaces:list",
    "/namespaces:watch",
    "/services:create",
    "/services:delete",
    "/services:get",
    "/services:list",
    "/services:update",
    "/services:watch",
    "discovery.k8s.io/endpointslices:create",
    "discovery.k8s.io/endpointslices:delete",
    "discovery.k8s.io/endpointslices:get",
    "discovery.k8s.io/endpointslices:list",
    "discovery.k8s.io/endpointslices:update",
    "discovery.k8s.io/endpointslices:watch",
  ]);
  deepStrictEqual(
    [...new Set(needed.map((each) => `${each.resource} in "${each.namespace}"`))],
    [
      'services in "shop"',
      'endpointslices in "shop"',
      'endpoints in "shop"',
      'namespaces in ""',
      'events in "shop"',
    ],
  );
});

Deno.test("reviewHostPermissions() finds exactly the verb the manifests' ServiceAccount was denied", async () => {
  await withClusters(["permissions"], async ([cluster]) => {
    if (!cluster) throw new Error("cluster missing");
    await withTempDir(async (dir) => {
      const { token } = await installIdentity(cluster, dir);
      await applyClusterRole(cluster, { resource: "endpointslices", verbs: ["update"] });
      using asServiceAccount = new Transport(tokenConfig(cluster, token));
      using asAdmin = new Transport(adminConfig(cluster));
      const needed = hostPermissions({
        legacyEndpoints: true,
        createNamespaces: true,
        leaseNamespace: "service-reflector",
      });
      const denied = async (transport: Transport, permissions = needed) =>
        (await reviewHostPermissions(new RestClient(transport), permissions))
          .filter(({ decision }) => !decision.allowed)
          .map(({ permission }) => `${permission.verb} ${permission.resource}`);
      deepStrictEqual(await denied(asServiceAccount), ["update endpointslices"]);
      deepStrictEqual(await denied(asAdmin), []);
      await applyClusterRole(cluster);
      deepStrictEqual(await denied(asServiceAccount), [], "granted back");
      const leaseElsewhere = hostPermissions({
        legacyEndpoints: false,
        createNamespaces: false,
        leaseNamespace: "default",
      });
      deepStrictEqual(
        await denied(asServiceAccount, leaseElsewhere),
        ["get leases", "create leases", "update leases"],
        "the Lease is granted in its namespace only",
      );
    });
  });
});

Deno.test("hostPermissions() in the MCS dialect asks for ServiceImports, the host's ServiceExports and both statuses instead of core Endpoints", () => {
  const mcs = hostPermissions({ api: "mcs", legacyEndpoints: true, createNamespaces: false });
  const listed = mcs.map(({ group, resource, subresource, verb }) =>
    `${group}/${resource}${subresource ? `/${subresource}` : ""}:${verb}`
  );
  deepStrictEqual(listed.filter((each) => each.startsWith("multicluster.x-k8s.io/")), [
    "multicluster.x-k8s.io/serviceimports:list",
    "multicluster.x-k8s.io/serviceimports:watch",
    "multicluster.x-k8s.io/serviceimports:get",
    "multicluster.x-k8s.io/serviceimports:create",
    "multicluster.x-k8s.io/serviceimports:update",
    "multicluster.x-k8s.io/serviceimports:delete",
    "multicluster.x-k8s.io/serviceimports/status:update",
    "multicluster.x-k8s.io/serviceexports:list",
    "multicluster.x-k8s.io/serviceexports:watch",
    "multicluster.x-k8s.io/serviceexports/status:update",
  ]);
  deepStrictEqual(listed.filter((each) => each.includes("/endpoints:")), []);
  deepStrictEqual(
    hostPermissions({ legacyEndpoints: false, createNamespaces: false })
      .filter((each) => each.group === "multicluster.x-k8s.io"),
    [],
    "the mirror dialect asks for nothing of the MCS API",
  );
});
