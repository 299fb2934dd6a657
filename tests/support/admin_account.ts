/**
 * An admin identity of its own in a test cluster: a ServiceAccount bound to
 * `cluster-admin`, with a kubeconfig of it. Processes that would all run as
 * the cluster's one admin (and send the same user agent) each get one, so
 * that the apiserver's audit log tells their requests apart by user
 * (`server_writes.ts`).
 *
 * @module
 */

import { stringify } from "yaml";
import type { Cluster } from "../cluster/mod.ts";

/** Where {@linkcode adminAccount} creates its ServiceAccounts. */
const accountNamespace = "default";

/** A ServiceAccount with every permission, and how to act as it. */
export interface AdminAccount {
  /** The username the apiserver authenticates it as (`system:serviceaccount:default:<name>`). */
  username: string;
  /** A kubeconfig of `cluster` with a token of it, in the cluster's directory (removed with it). */
  kubeconfig: string;
}

/**
 * Creates ServiceAccount `name` in namespace `default` of `cluster`, binds
 * it to `cluster-admin`, and writes a kubeconfig with an hour-long token of it.
 */
export async function adminAccount(cluster: Cluster, name: string): Promise<AdminAccount> {
  await cluster.kubectl("create", "serviceaccount", name, "-n", accountNamespace);
  await cluster.kubectl(
    "create",
    "clusterrolebinding",
    `admin-account-${name}`,
    "--clusterrole=cluster-admin",
    `--serviceaccount=${accountNamespace}:${name}`,
  );
  const token = (
    await cluster.kubectl("create", "token", name, "-n", accountNamespace, "--duration=1h")
  ).trim();
  const kubeconfig = `${cluster.dir}/${name}.kubeconfig`;
  await Deno.writeTextFile(
    kubeconfig,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{
        name: cluster.name,
        cluster: { server: cluster.server, "certificate-authority": cluster.caPath },
      }],
      users: [{ name, user: { token } }],
      contexts: [{ name: cluster.name, context: { cluster: cluster.name, user: name } }],
      "current-context": cluster.name,
    }),
  );
  return { username: `system:serviceaccount:${accountNamespace}:${name}`, kubeconfig };
}
