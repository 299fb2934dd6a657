/**
 * The MCS dialect end to end, as a Pod of the importing cluster ("west")
 * sees it: `hello.demo.svc.clusterset.local` resolves with west's CoreDNS
 * (its `kubernetes` plugin's `multicluster clusterset.local`) to the
 * ServiceImport's cluster-set IP, SRV per named port, and a connection to
 * it reaches the exporting cluster's ("east") Pods through west's
 * kube-proxy; `cluster.local` still resolves west's own Service of the
 * same name. The command runs in west as deployed: `--reflector.api=mcs`,
 * its own cluster among the sources under its cluster id.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { startPodServer, withClusters } from "../cluster/mod.ts";
import { applyServedService } from "../support/exported_service.ts";
import { startCommand } from "../support/command.ts";
import { setServiceExport } from "../support/service_exports.ts";
import {
  clusterIPOf,
  FreshConnections,
  resolveIPv4,
  resolveSrv,
} from "../support/data_plane_client.ts";
import { noteTiming } from "../support/noted_timings.ts";
import { poll } from "../support/poll.ts";
import { getJson } from "../support/api_json.ts";
import type { ServiceImport } from "../../lib/mcs/api.ts";

const namespace = "demo";
const podPort = 8080;
const timings = "e2e/clusterset_dns";

Deno.test("mcs: a ServiceExport's name resolves in clusterset.local and its connections reach the exporting cluster's Pods", async () => {
  const specs = [{ name: "east", mcs: true }, { name: "west", dataPlane: true, mcs: true }];
  await withClusters(specs, async ([east, west]) => {
    if (!east || !west?.nameServer) throw new Error("clusters missing");
    const nameServer = west.nameServer;
    for (const cluster of [east, west]) await cluster.kubectl("create", "namespace", namespace);
    await using reflector = await startCommand([
      `--kubeconfig=${west.kubeconfig}`,
      "--emitter=false",
      "--reflector.api=mcs",
      "--reflector.cluster-id=west",
      `--reflector.source-kubeconfig=east=${east.kubeconfig}`,
      `--reflector.source-kubeconfig=west=${west.kubeconfig}`,
    ]);
    await reflector.ready();
    await applyServedService(east, { namespace, name: "hello", targetPort: podPort });
    await using pod = await startPodServer(east, {
      namespace,
      name: "hello-1",
      ips: ["10.244.1.1"],
      labels: { app: "hello" },
      port: podPort,
      ports: [{ name: "http", containerPort: podPort }],
    });
    // West's own Service of the same name, which cluster.local keeps answering.
    await applyServedService(west, { namespace, name: "hello", targetPort: podPort });
    const localIp = await clusterIPOf(west, namespace, "hello");

    const exported = performance.now();
    await setServiceExport(east, { namespace, name: "hello" });
    const clustersetName = `hello.${namespace}.svc.clusterset.local`;
    const answered = await poll(async () => {
      const found = await resolveIPv4(nameServer, clustersetName);
      return found.length > 0 ? found : undefined;
    }, { description: `A records of ${clustersetName}`, timeoutMs: 60_000 });
    await noteTiming(
      timings,
      "ServiceExport created to a clusterset.local answer",
      performance.now() - exported,
    );
    const serviceImport = await getJson<ServiceImport>(
      west,
      `/apis/multicluster.x-k8s.io/v1beta1/namespaces/${namespace}/serviceimports/hello`,
    );
    deepStrictEqual(answered, serviceImport.spec?.ips, "the A record is the cluster-set IP");
    ok(answered[0] !== localIp, "the cluster-set IP is not the local Service's");
    deepStrictEqual(await resolveIPv4(nameServer, `hello.${namespace}.svc.cluster.local`), [
      localIp,
    ]);

    const srv = await resolveSrv(nameServer, `_http._tcp.${clustersetName}`);
    deepStrictEqual(srv.map((record) => [record.port, record.target]), [[
      80,
      `${clustersetName}.`,
    ]]);

    using client = new FreshConnections();
    await client.answeredBy(answered[0] ?? "", 80, [pod.answer], {
      sampleSize: 5,
      only: true,
      timeoutMs: 60_000,
    });
    equal(serviceImport.status?.clusters?.map((each) => each.cluster).join(), "east");
  });
});
