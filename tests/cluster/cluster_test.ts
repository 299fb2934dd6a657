import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import type { Namespace, Service } from "kubernetes-types/core/v1.d.ts";
import type { Status } from "kubernetes-types/meta/v1.d.ts";
import { type Cluster, createReadyPod, testNodeName, withClusters } from "./mod.ts";
import { type ApiList, getJson } from "../support/api_json.ts";
import { poll } from "../support/poll.ts";
import { findWatchEvent, WatchEndedError } from "../support/watch_events.ts";

const namespace = "proof";

/** east keeps kube-apiserver's watch cache (the default); west runs without. */
function hasWatchCache(cluster: Cluster): boolean {
  return cluster.name === "east";
}

const serviceManifest = `
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: ${namespace}
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: 8080
`;

/** Pod IPs per cluster, distinct so that a mix-up between clusters shows. */
function podIps(cluster: Cluster): string[] {
  const subnet = cluster.name === "east" ? 1 : 2;
  return [`10.${subnet}.0.10`, `10.${subnet}.0.11`];
}

async function readyPodsBecomeAnEndpointSlice(cluster: Cluster): Promise<void> {
  await cluster.kubectl("create", "namespace", namespace);
  await cluster.kubectlWithInput(serviceManifest, "apply", "-f", "-");
  const ips = podIps(cluster);
  await Promise.all(
    ips.map((ip, index) =>
      createReadyPod(cluster, {
        namespace,
        name: `web-${index}`,
        ips: [ip],
        labels: { app: "web" },
      })
    ),
  );
  await createReadyPod(cluster, {
    namespace,
    name: "web-starting",
    ips: [`${ips[0]}0`],
    labels: { app: "web" },
    ready: false,
  });

  const path = `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices` +
    `?labelSelector=${encodeURIComponent("kubernetes.io/service-name=web")}`;
  const endpoints = await poll(async () => {
    const slices = await getJson<ApiList<EndpointSlice>>(cluster, path);
    const all = slices.items.flatMap((slice) => slice.endpoints);
    return all.length === 3 ? { slices: slices.items, all } : undefined;
  }, { description: `EndpointSlice of ${namespace}/web in ${cluster.name}` });

  const readyAddresses = endpoints.all
    .filter((endpoint) => endpoint.conditions?.ready)
    .flatMap((endpoint) => endpoint.addresses)
    .sort();
  deepStrictEqual(readyAddresses, [...ips].sort());
  const starting = endpoints.all.find((endpoint) => endpoint.addresses[0] === `${ips[0]}0`);
  equal(starting?.conditions?.ready, false);
  equal(starting?.nodeName, testNodeName);
  for (const slice of endpoints.slices) {
    equal(slice.addressType, "IPv4");
    equal(
      slice.metadata?.labels?.["endpointslice.kubernetes.io/managed-by"],
      "endpointslice-controller.k8s.io",
    );
    deepStrictEqual(slice.ports, [{ name: "http", port: 8080, protocol: "TCP" }]);
  }
}

async function watchFromResourceVersionSeesChange(cluster: Cluster): Promise<void> {
  const before = await getJson<Service>(cluster, `/api/v1/namespaces/${namespace}/services/web`);
  const resourceVersion = before.metadata?.resourceVersion;
  ok(resourceVersion, "the Service has a resourceVersion");
  // The change happens before the watch starts: only a watch that really
  // starts from resourceVersion can see it.
  await cluster.kubectl("label", "service", "web", "-n", namespace, "tier=frontend");
  const response = await cluster.fetch(
    `/api/v1/namespaces/${namespace}/services?watch=true&resourceVersion=${resourceVersion}` +
      `&fieldSelector=${encodeURIComponent("metadata.name=web")}&timeoutSeconds=30`,
  );
  equal(response.status, 200);
  const event = await findWatchEvent<Service>(response, (event) => event.type === "MODIFIED");
  equal(event.object.metadata?.labels?.["tier"], "frontend");
  ok(Number(event.object.metadata?.resourceVersion) > Number(resourceVersion));
}

/** Answers of a list at exactly `resourceVersion` and of a watch from it. */
async function readAt(
  cluster: Cluster,
  resourceVersion: string,
): Promise<{ list: number; watch: Status | undefined }> {
  const base = `/api/v1/namespaces/${namespace}/services?resourceVersion=${resourceVersion}`;
  const list = await cluster.fetch(`${base}&resourceVersionMatch=Exact`);
  await list.body?.cancel();
  const watch = await cluster.fetch(`${base}&watch=true&timeoutSeconds=5`);
  if (watch.status !== 200) {
    return { list: list.status, watch: await watch.json() as Status };
  }
  // A watch that ends without an event saw no error; any other failure fails the test.
  const event = await findWatchEvent<Status>(watch, () => true).catch((error) => {
    if (error instanceof WatchEndedError) return undefined;
    throw error;
  });
  return { list: list.status, watch: event?.type === "ERROR" ? event.object : undefined };
}

function assertExpired(answer: { list: number; watch: Status | undefined }): void {
  equal(answer.list, 410);
  equal(answer.watch?.code, 410);
  equal(answer.watch?.reason, "Expired");
}

/**
 * Without a watch cache, compaction expires older versions at once; with
 * one (the default), the cache still serves them from its own history until
 * it is rebuilt, e.g. by a restart (checked in the restart step).
 */
async function compactionExpiresOldVersions(cluster: Cluster): Promise<string> {
  const list = await getJson<ApiList<Service>>(cluster, `/api/v1/namespaces/${namespace}/services`);
  const old = list.metadata.resourceVersion;
  for (const tier of ["a", "b", "c"]) {
    await cluster.kubectl(
      "label",
      "service",
      "web",
      "-n",
      namespace,
      `tier=${tier}`,
      "--overwrite",
    );
  }
  const revision = await cluster.compact();
  ok(revision > Number(old), `compacted at ${revision}, after ${old}`);
  const answer = await readAt(cluster, old);
  if (hasWatchCache(cluster)) {
    deepStrictEqual(answer, { list: 200, watch: undefined });
  } else {
    assertExpired(answer);
  }
  return old;
}

async function apiserverRestartKeepsData(cluster: Cluster, compacted: string): Promise<void> {
  const before = await getJson<Service>(cluster, `/api/v1/namespaces/${namespace}/services/web`);
  await cluster.stopApiserver();
  const refused = await cluster.fetch("/readyz").then(
    async (response) => {
      await response.body?.cancel();
      return false;
    },
    () => true,
  );
  ok(refused, "a stopped apiserver refuses connections");
  await cluster.startApiserver();
  const after = await getJson<Service>(cluster, `/api/v1/namespaces/${namespace}/services/web`);
  equal(after.metadata?.uid, before.metadata?.uid);
  equal(after.metadata?.resourceVersion, before.metadata?.resourceVersion);
  equal(after.metadata?.labels?.["tier"], "c");
  // A rebuilt watch cache starts at the current revision.
  assertExpired(await readAt(cluster, compacted));
}

async function namespaceDeletionFinalizes(cluster: Cluster): Promise<void> {
  await cluster.kubectl("delete", "namespace", namespace, "--wait=false");
  await poll(async () => {
    const response = await cluster.fetch(`/api/v1/namespaces/${namespace}`);
    if (response.status === 404) {
      await response.body?.cancel();
      return true;
    }
    const current = await response.json() as Namespace;
    equal(current.status?.phase, "Terminating");
    return undefined;
  }, {
    description: `namespace ${namespace} to be finalized in ${cluster.name}`,
    timeoutMs: 60_000,
  });
}

Deno.test("two control planes started in parallel behave like real clusters", async (t) => {
  const specs = [{ name: "east" }, { name: "west", watchCache: false }];
  await withClusters(specs, async (clusters) => {
    const each = async (scenario: (cluster: Cluster) => Promise<void>) => {
      await Promise.all(clusters.map(scenario));
    };
    await t.step(
      "a Service's Ready Pods become an EndpointSlice",
      () => each(readyPodsBecomeAnEndpointSlice),
    );
    await t.step(
      "a watch from a resourceVersion sees a later change",
      () => each(watchFromResourceVersionSeesChange),
    );
    const compacted = new Map<Cluster, string>();
    await t.step(
      "compaction makes an older resourceVersion 410 Gone",
      () =>
        each(async (cluster) => {
          compacted.set(cluster, await compactionExpiresOldVersions(cluster));
        }),
    );
    await t.step(
      "the apiserver restarts and keeps its data",
      () =>
        each((cluster) => {
          const old = compacted.get(cluster);
          ok(old, `the compaction step recorded a version for ${cluster.name}`);
          return apiserverRestartKeepsData(cluster, old);
        }),
    );
    await t.step("deleting a namespace finalizes it", () => each(namespaceDeletionFinalizes));
  });
});
