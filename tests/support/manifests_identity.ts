/**
 * The identity `manifests/` gives service-reflector, in a test cluster:
 * its Namespace, ServiceAccount and RBAC applied from the files users
 * apply, a token and a kubeconfig of the ServiceAccount, and edits of its
 * ClusterRole (verbs revoked, then the file's role applied again), for
 * tests of what the Reflector does with exactly those permissions.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import type { ClusterRole, PolicyRule } from "kubernetes-types/rbac/v1.d.ts";
import { parseAllDocuments, stringify } from "yaml";
import type { Cluster } from "../cluster/mod.ts";

const manifests = (file: string) =>
  fileURLToPath(new URL(`../../manifests/base/${file}`, import.meta.url));

/** The namespace of the install and of its ServiceAccount. */
export const installNamespace = "service-reflector";
/** The ServiceAccount's name. */
export const serviceAccount = "service-reflector";

/** The manifests' ServiceAccount, in `cluster`, with a fresh token of it and a kubeconfig using it. */
export interface ManifestsIdentity {
  /** A token of the ServiceAccount (an hour long). */
  token: string;
  /** A kubeconfig of `cluster` with that token, in `dir`. */
  kubeconfig: string;
}

/**
 * Applies the manifests' Namespace, ServiceAccount and RBAC to `cluster`
 * and writes a kubeconfig of the ServiceAccount into `dir`.
 */
export async function installIdentity(cluster: Cluster, dir: string): Promise<ManifestsIdentity> {
  await cluster.kubectl(
    "apply",
    "-f",
    manifests("namespace.yaml"),
    "-f",
    manifests("serviceaccount.yaml"),
    "-f",
    manifests("rbac.yaml"),
  );
  const token = (
    await cluster.kubectl("create", "token", serviceAccount, "-n", installNamespace)
  ).trim();
  const kubeconfig = `${dir}/service-account.kubeconfig`;
  await Deno.writeTextFile(
    kubeconfig,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{
        name: "host",
        cluster: { server: cluster.server, "certificate-authority": cluster.caPath },
      }],
      users: [{ name: serviceAccount, user: { token } }],
      contexts: [{ name: "host", context: { cluster: "host", user: serviceAccount } }],
      "current-context": "host",
    }),
  );
  return { token, kubeconfig };
}

/** The ClusterRole of `manifests/base/rbac.yaml`, as the file has it. */
export async function manifestsClusterRole(): Promise<ClusterRole> {
  const documents = parseAllDocuments(await Deno.readTextFile(manifests("rbac.yaml")))
    .map((document) => document.toJS() as { kind?: string });
  const role = documents.find((document) => document.kind === "ClusterRole");
  if (!role) throw new Error("manifests/base/rbac.yaml has no ClusterRole");
  return role as ClusterRole;
}

/**
 * Applies the manifests' ClusterRole without `verbs` on `resource` (split
 * out of a rule it shares with other resources), or, with no `verbs`, as
 * the file has it.
 */
export async function applyClusterRole(
  cluster: Cluster,
  revoked?: { resource: string; verbs: string[] },
): Promise<void> {
  const role = await manifestsClusterRole();
  const rules = revoked
    ? (role.rules ?? []).flatMap((rule): PolicyRule[] => {
      const resources = rule.resources ?? [];
      if (!resources.includes(revoked.resource)) return [rule];
      const others = resources.filter((resource) => resource !== revoked.resource);
      const kept = rule.verbs.filter((verb) => !revoked.verbs.includes(verb));
      return [
        ...(others.length > 0 ? [{ ...rule, resources: others }] : []),
        ...(kept.length > 0 ? [{ ...rule, resources: [revoked.resource], verbs: kept }] : []),
      ];
    })
    : role.rules;
  await cluster.kubectlWithInput(
    JSON.stringify({ ...role, ...(rules ? { rules } : {}) }),
    "apply",
    "-f",
    "-",
  );
}
