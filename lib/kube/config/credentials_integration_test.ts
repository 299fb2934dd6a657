/**
 * Every way of configuring a client, loaded by the real loaders and used by
 * the real transport against a real apiserver, which says who it thinks we
 * are (SelfSubjectReview).
 */
import { equal } from "node:assert/strict";
import { type Cluster, withClusters } from "../../../tests/cluster/mod.ts";
import {
  base64,
  kubeconfig,
  withTempDir,
  writeScript,
  writeYaml,
} from "../../../tests/support/kubeconfig_fixtures.ts";
import { FakeClock } from "../../../tests/support/fake_clock.ts";
import type { ClientConfig } from "./client_config.ts";
import { inClusterConfig } from "./in_cluster.ts";
import { loadKubeconfig } from "./kubeconfig.ts";
import { Transport } from "../transport.ts";

interface SelfSubjectReview {
  status?: { userInfo?: { username?: string; groups?: string[] } };
}

/** Asks the server who the credentials of `config` authenticate as. */
async function whoAmI(config: ClientConfig): Promise<string> {
  using transport = new Transport(config);
  const review = await transport.json<SelfSubjectReview>(
    "/apis/authentication.k8s.io/v1/selfsubjectreviews",
    {
      method: "POST",
      body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
    },
  );
  return review.status?.userInfo?.username ?? "";
}

async function serviceAccountToken(cluster: Cluster, name: string): Promise<string> {
  await cluster.kubectl("create", "serviceaccount", name, "-n", "default");
  return (await cluster.kubectl("create", "token", name, "-n", "default")).trim();
}

function clusterEntry(cluster: Cluster) {
  return { server: cluster.server, "certificate-authority-data": base64(cluster.ca) };
}

Deno.test("client configurations authenticate to a real apiserver", async (t) => {
  await withClusters(["credentials"], async ([cluster]) => {
    if (!cluster) throw new Error("no cluster");
    const alpha = await serviceAccountToken(cluster, "alpha");
    const beta = await serviceAccountToken(cluster, "beta");

    await t.step("the admin kubeconfig's client certificate", async () => {
      const { config, contextName } = await loadKubeconfig({ path: cluster.kubeconfig });
      equal(contextName, "credentials");
      equal(await whoAmI(config), "kubernetes-admin");
    });

    await t.step("a static token", async () => {
      await withTempDir(async (dir) => {
        const path = await writeYaml(
          `${dir}/config`,
          kubeconfig({
            cluster: clusterEntry(cluster),
            user: { token: cluster.token },
          }),
        );
        const { config } = await loadKubeconfig({ path });
        equal(await whoAmI(config), "token-admin");
      });
    });

    await t.step("a token file that rotates is re-read", async () => {
      await withTempDir(async (dir) => {
        await Deno.writeTextFile(`${dir}/token`, alpha);
        const path = await writeYaml(
          `${dir}/config`,
          kubeconfig({
            cluster: clusterEntry(cluster),
            user: { tokenFile: "token" },
          }),
        );
        const clock = new FakeClock(Date.now());
        const { config } = await loadKubeconfig({ path, clock });
        equal(await whoAmI(config), "system:serviceaccount:default:alpha");
        await Deno.writeTextFile(`${dir}/token`, beta);
        await clock.advance(1_001);
        equal(await whoAmI(config), "system:serviceaccount:default:beta");
      });
    });

    await t.step("an exec plugin's token and client certificate", async () => {
      await withTempDir(async (dir) => {
        const status = (fields: Record<string, string>) =>
          JSON.stringify({
            apiVersion: "client.authentication.k8s.io/v1",
            kind: "ExecCredential",
            status: fields,
          });
        // The plugins print ExecCredentials written next to them.
        await Deno.writeTextFile(`${dir}/token.json`, status({ token: alpha }));
        await Deno.writeTextFile(
          `${dir}/cert.json`,
          status({ clientCertificateData: cluster.admin.cert, clientKeyData: cluster.admin.key }),
        );
        await writeScript(`${dir}/token-plugin`, `cat "${dir}/token.json"`);
        await writeScript(`${dir}/cert-plugin`, `cat "${dir}/cert.json"`);
        for (
          const [plugin, expected] of [["token-plugin", "system:serviceaccount:default:alpha"], [
            "cert-plugin",
            "kubernetes-admin",
          ]]
        ) {
          const path = await writeYaml(
            `${dir}/${plugin}.config`,
            kubeconfig({
              cluster: clusterEntry(cluster),
              user: {
                exec: {
                  apiVersion: "client.authentication.k8s.io/v1",
                  command: `./${plugin}`,
                  interactiveMode: "Never",
                },
              },
            }),
          );
          const { config } = await loadKubeconfig({ path });
          equal(await whoAmI(config), expected, plugin);
        }
      });
    });

    await t.step("in-cluster configuration from a ServiceAccount directory", async () => {
      await withTempDir(async (dir) => {
        await Deno.writeTextFile(`${dir}/token`, beta);
        await Deno.writeTextFile(`${dir}/ca.crt`, cluster.ca);
        await Deno.writeTextFile(`${dir}/namespace`, "default");
        const server = new URL(cluster.server);
        const env: Record<string, string> = {
          KUBERNETES_SERVICE_HOST: server.hostname,
          KUBERNETES_SERVICE_PORT: server.port,
        };
        const { config, namespace } = await inClusterConfig({
          serviceAccountDir: dir,
          env: (name) => env[name],
        });
        equal(namespace, "default");
        equal(await whoAmI(config), "system:serviceaccount:default:beta");
      });
    });
  });
});
