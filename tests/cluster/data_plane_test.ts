/**
 * The data plane of one cluster on its own, before any reflection: a
 * Service with a selector resolves through the cluster's CoreDNS to its
 * ClusterIP, and kube-proxy's rules carry a connection to it to a served
 * Pod. Runs in the private network of `scripts/in_private_network.sh`.
 */
import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import { DataPlaneTakenError, startCluster, withClusters } from "./mod.ts";
import { startPodServer } from "./pod_server.ts";
import { getJson } from "../support/api_json.ts";
import { FreshConnections, resolveIPv4 } from "../support/data_plane_client.ts";
import { poll } from "../support/poll.ts";

const namespace = "plane";

async function output(command: string, ...args: string[]): Promise<string> {
  const { stdout } = await new Deno.Command(command, { args, stdout: "piped", stderr: "null" })
    .output();
  return new TextDecoder().decode(stdout);
}

Deno.test("a cluster's data plane: its CoreDNS resolves a Service, kube-proxy carries a connection to its Pod", async () => {
  await withClusters([{ name: "solo", dataPlane: true }], async ([cluster]) => {
    if (!cluster?.nameServer) throw new Error("cluster or its name server missing");
    const { nameServer } = cluster;
    await cluster.kubectl("create", "namespace", namespace);
    await cluster.kubectl(
      "create",
      "service",
      "clusterip",
      "web",
      "-n",
      namespace,
      "--tcp=80:8080",
    );
    await using _pod = await startPodServer(cluster, {
      namespace,
      name: "web-0",
      ips: ["10.244.9.10"],
      labels: { app: "web" },
      port: 8080,
    });
    const service = await getJson<Service>(cluster, `/api/v1/namespaces/${namespace}/services/web`);
    const clusterIP = service.spec?.clusterIP ?? "";
    ok(clusterIP.startsWith("10.96."), `ClusterIP ${clusterIP}`);

    const addresses = await poll(async () => {
      const found = await resolveIPv4(nameServer, `web.${namespace}.svc.cluster.local`);
      return found.length > 0 ? found : undefined;
    }, { description: "web's A record" });
    deepStrictEqual(addresses, [clusterIP]);

    using client = new FreshConnections();
    const answer = await poll(() => client.get(clusterIP, 80), {
      description: `an answer through ClusterIP ${clusterIP}`,
    });
    equal(answer, `solo/${namespace}/web-0`);

    await rejects(
      startCluster({ name: "second", dataPlane: true }),
      (error: Error) => error.cause instanceof DataPlaneTakenError && error.cause.holder === "solo",
    );
  });
  // Stopped, the cluster leaves no rules, link or address behind.
  equal(await output("nft", "list", "tables"), "");
  equal(await output("ip", "link", "show", "sr-node"), "");
  equal(
    (await output("ip", "-4", "-o", "address", "show", "dev", "lo")).includes("10.250."),
    false,
  );
});

Deno.test("a data-plane test that throws still leaves no process, rules, link or address behind", async () => {
  let nameServer: string | undefined;
  await rejects(
    withClusters([{ name: "thrower", dataPlane: true }], async ([cluster]) => {
      nameServer = cluster?.nameServer?.ipAddr;
      await using _pod = await startPodServer(cluster as NonNullable<typeof cluster>, {
        namespace: "default",
        name: "web-0",
        ips: ["10.244.9.11"],
        labels: { app: "web" },
        port: 8080,
      });
      throw new Error("the test body failed");
    }, { reportLogs: () => {} }),
    /the test body failed/,
  );
  equal(nameServer, "10.250.0.10");
  equal(await output("nft", "list", "tables"), "");
  equal(await output("ip", "link", "show", "sr-node"), "");
  const addresses = await output("ip", "-4", "-o", "address", "show", "dev", "lo");
  equal(addresses.includes("10.250.") || addresses.includes("10.244."), false, addresses);
  const processes = await output("pgrep", "-f", "service-reflector-thrower-");
  equal(processes, "", "no component of the cluster runs");
});
