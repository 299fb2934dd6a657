/**
 * The Reflector's kinds of sources against real clusters: a server that
 * serves only core v1 Endpoints, as the original Go Emitter does, and this
 * project's Emitter, both read by URL alone.
 *
 * kube-apiserver 1.37 does not become ready with discovery.k8s.io turned
 * off (its own informers need EndpointSlices), so the Endpoints-only server
 * is a real apiserver behind a loopback proxy that hides that group: every
 * answer still comes from the real server.
 */
import { deepStrictEqual, equal } from "node:assert/strict";
import type { Endpoints, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { type Cluster, createReadyPod, withClusters } from "../../tests/cluster/mod.ts";
import { adminConfig } from "../../tests/support/client_configs.ts";
import { holds } from "../../tests/support/holds.ts";
import { poll } from "../../tests/support/poll.ts";
import { startReflector } from "../../tests/support/reflector_harness.ts";
import { unlessNotFound } from "../../tests/support/reflector_mirror.ts";
import { configFromUrl } from "../kube/config/client_config.ts";
import { parseLabelSelector } from "../kube/label_selector.ts";
import { endpoints, endpointSlices, services } from "../kube/resource.ts";
import { RestClient } from "../kube/rest.ts";
import { Transport } from "../kube/transport.ts";
import { Emitter } from "../emitter/emitter.ts";

async function exportService(cluster: Cluster, name: string, ip: string): Promise<void> {
  await cluster.kubectl("create", "namespace", "apps");
  await cluster.kubectlWithInput(
    JSON.stringify({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace: "apps", labels: { export: "yes" } },
      spec: { selector: { app: name }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
    }),
    "apply",
    "-f",
    "-",
  );
  await createReadyPod(cluster, {
    namespace: "apps",
    name: `${name}-1`,
    ips: [ip],
    labels: { app: name },
  });
}

/** Serves `cluster` on loopback as admin, hiding the discovery.k8s.io group. */
function withoutEndpointSlices(cluster: Cluster): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/apis/discovery.k8s.io")) {
      return Response.json({ kind: "Status", status: "Failure", reason: "NotFound", code: 404 }, {
        status: 404,
      });
    }
    const answer = await cluster.fetch(url.pathname + url.search, { signal: request.signal });
    if (url.pathname !== "/apis") {
      return new Response(answer.body, { status: answer.status, headers: answer.headers });
    }
    const groups = await answer.json() as { groups: { name: string }[] };
    groups.groups = groups.groups.filter((group) => group.name !== "discovery.k8s.io");
    return Response.json(groups);
  });
}

Deno.test("the Reflector reads an Endpoints-only server and an Emitter", async () => {
  await withClusters(["legacy", "remote", "host"], async ([legacy, remote, hostCluster]) => {
    if (!legacy || !remote || !hostCluster) throw new Error("clusters missing");
    await exportService(legacy, "old", "10.5.0.1");
    await exportService(remote, "new", "10.6.0.1");

    using remoteTransport = new Transport(adminConfig(remote));
    const emitter = new Emitter({
      rest: new RestClient(remoteTransport),
      selector: parseLabelSelector("export=yes"),
    });
    const controller = new AbortController();
    const emitting = emitter.run(controller.signal);
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      emitter.handler,
    );
    const proxy = withoutEndpointSlices(legacy);

    using hostTransport = new Transport(adminConfig(hostCluster));
    const host = new RestClient(hostTransport);
    const reflector = startReflector({
      host: hostCluster,
      sources: [
        {
          name: "legacy",
          config: configFromUrl(`http://127.0.0.1:${proxy.addr.port}`),
          selector: "export=yes",
        },
        {
          name: "remote",
          config: configFromUrl(`http://127.0.0.1:${server.addr.port}`),
          selector: "",
        },
      ],
      legacyEndpoints: true,
    });
    try {
      for (
        const [name, ip, source] of [["old", "10.5.0.1", "legacy"], ["new", "10.6.0.1", "remote"]]
      ) {
        const slices = await poll(async () => {
          const list = await host.list<EndpointSlice>(endpointSlices, {
            namespace: "apps",
            labelSelector: `kubernetes.io/service-name=${name}`,
          });
          const addresses = list.items.flatMap((slice) =>
            slice.endpoints.flatMap((endpoint) => endpoint.addresses)
          );
          return addresses.includes(ip as string) ? list.items : undefined;
        }, { description: `the mirror of ${name} from ${source}` });
        equal(slices[0]?.metadata?.labels?.["multicluster.kubernetes.io/source-cluster"], source);
        const mirror = await host.get<Service>(services, name as string, { namespace: "apps" });
        equal(mirror.metadata?.labels?.["service-reflector.squat.ai/source"], source);
      }
      deepStrictEqual(reflector.modes, { legacy: "endpoints", remote: "endpointslices" });

      // Legacy Endpoints are written too, marked so that the host's
      // EndpointSlice mirroring controller leaves them alone.
      const legacyEndpoints = await poll(
        () => unlessNotFound(host.get<Endpoints>(endpoints, "old", { namespace: "apps" })),
        { description: "the legacy Endpoints of old" },
      );
      equal(legacyEndpoints.metadata?.labels?.["endpointslice.kubernetes.io/skip-mirror"], "true");
      deepStrictEqual(legacyEndpoints.subsets?.[0]?.addresses?.map((address) => address.ip), [
        "10.5.0.1",
      ]);
      // The host's mirroring controller would act within moments, if it did.
      await holds(async () => {
        const all = await host.list<EndpointSlice>(endpointSlices, {
          namespace: "apps",
          labelSelector: "kubernetes.io/service-name=old",
        });
        const managers = all.items.map((slice) =>
          slice.metadata?.labels?.["endpointslice.kubernetes.io/managed-by"]
        );
        return JSON.stringify(managers) === JSON.stringify(["service-reflector.squat.ai"]);
      }, { description: "no slice mirrored from the legacy Endpoints", forMs: 2_000 });
    } finally {
      await reflector.stop();
      controller.abort();
      await emitting;
      await server.shutdown();
      await proxy.shutdown();
    }
  });
});
