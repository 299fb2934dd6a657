/**
 * The Emitter in front of real clusters with and without the Multi-Cluster
 * Services API: where the cluster serves ServiceExports, the Emitter
 * serves them (discovery, get, list, watch, kubectl's Tables) in the
 * version the cluster serves; where it does not, nothing of the group
 * appears.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { APIGroupList, APIResourceList } from "kubernetes-types/meta/v1.d.ts";
import { type Cluster, withClusters } from "../../tests/cluster/mod.ts";
import { type ApiList, fetcherAt, getJson } from "../../tests/support/api_json.ts";
import { kubectlAt } from "../../tests/support/kubectl_at.ts";
import { poll } from "../../tests/support/poll.ts";
import { tokenConfig } from "../../tests/support/client_configs.ts";
import { withTempDir } from "../../tests/support/kubeconfig_fixtures.ts";
import { installIdentity } from "../../tests/support/manifests_identity.ts";
import { runningEmitter } from "../../tests/support/running_emitter.ts";
import { configFromUrl } from "../kube/config/client_config.ts";
import { parseLabelSelector } from "../kube/label_selector.ts";
import { RestClient } from "../kube/rest.ts";
import { Transport } from "../kube/transport.ts";
import { decodeWatchEvents, type WatchEvent } from "../kube/watch_stream.ts";
import type { ServiceExport } from "../mcs/api.ts";
import { Emitter } from "./emitter.ts";
import type { Table } from "./table.ts";

const namespace = "shop";
const group = "/apis/multicluster.x-k8s.io";
const exportsPath = `${group}/v1beta1/namespaces/${namespace}/serviceexports`;
// What kubectl v1.37 sends for `kubectl get`.
const tableAccept =
  "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

/** Applies the ServiceExport `shop/<name>` with `exportedLabels`, or deletes it. */
async function serviceExport(
  cluster: Cluster,
  name: string,
  exportedLabels: Record<string, string> | "deleted",
): Promise<void> {
  const object = {
    apiVersion: "multicluster.x-k8s.io/v1beta1",
    kind: "ServiceExport",
    metadata: { name, namespace },
    spec: exportedLabels === "deleted" ? {} : { exportedLabels },
  };
  const verb = exportedLabels === "deleted" ? "delete" : "apply";
  await cluster.kubectlWithInput(JSON.stringify(object), verb, "-f", "-");
}

/** Watches `url`, collecting its events as they come, until `stop()`. */
async function collect(
  url: string,
): Promise<{ events: WatchEvent<ServiceExport>[]; stop(): Promise<void> }> {
  const events: WatchEvent<ServiceExport>[] = [];
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  equal(response.status, 200);
  const reading = (async () => {
    const body = response.body as ReadableStream<Uint8Array>;
    for await (const event of decodeWatchEvents<ServiceExport>(body)) events.push(event);
  })().catch(() => {}); // Ends with the abort of `stop()`.
  return {
    events,
    async stop() {
      controller.abort();
      await reading;
    },
  };
}

async function discovery(cluster: Cluster, url: string): Promise<void> {
  const emitter = fetcherAt(url);
  const groups = await getJson<APIGroupList>(emitter, "/apis");
  deepStrictEqual(groups.groups.map((each) => each.name), [
    "discovery.k8s.io",
    "multicluster.x-k8s.io",
  ]);
  const preferred = { groupVersion: "multicluster.x-k8s.io/v1beta1", version: "v1beta1" };
  deepStrictEqual(groups.groups[1]?.preferredVersion, preferred);
  const real = await getJson<APIResourceList>(cluster, `${group}/v1beta1`);
  const ours = await getJson<APIResourceList>(emitter, `${group}/v1beta1`);
  const realEntry = real.resources.find((resource) => resource.name === "serviceexports");
  const [entry] = ours.resources;
  equal(ours.resources.length, 1);
  deepStrictEqual(
    [entry?.singularName, entry?.namespaced, entry?.kind, entry?.shortNames],
    [realEntry?.singularName, realEntry?.namespaced, realEntry?.kind, realEntry?.shortNames],
    "the names of the cluster's CRD",
  );
  deepStrictEqual(entry?.verbs, ["get", "list", "watch"]);
  ok(entry?.verbs.every((verb) => realEntry?.verbs.includes(verb)));
}

async function getListWatch(cluster: Cluster, url: string): Promise<void> {
  const emitter = fetcherAt(url);
  const before = await getJson<ApiList<ServiceExport>>(emitter, exportsPath);
  deepStrictEqual(before.items, []);
  const watch = await collect(
    `${url}${exportsPath}?watch=true&allowWatchBookmarks=true&resourceVersion=${before.metadata.resourceVersion}`,
  );
  const seen = (type: string, check: (object: ServiceExport) => boolean = () => true) =>
    poll(
      () =>
        watch.events.find((event) =>
          event.type === type && event.object.metadata?.name === "web" && check(event.object)
        ),
      { description: `the Emitter's watch to send ${type} web` },
    );
  try {
    await serviceExport(cluster, "web", { tier: "front" });
    const added = await seen("ADDED");
    equal(added.object.kind, "ServiceExport");
    equal(added.object.apiVersion, "multicluster.x-k8s.io/v1beta1");
    deepStrictEqual(added.object.spec?.exportedLabels, { tier: "front" });

    const real = await getJson<ServiceExport>(cluster, `${exportsPath}/web`);
    const one = await getJson<ServiceExport>(emitter, `${exportsPath}/web`);
    equal(one.metadata?.uid, real.metadata?.uid);
    deepStrictEqual(one.spec, real.spec);
    equal(one.metadata?.managedFields, undefined, "managedFields dropped, as for every kind");
    const list = await getJson<ApiList<ServiceExport>>(emitter, `${group}/v1beta1/serviceexports`);
    deepStrictEqual(list.items.map((item) => item.metadata?.uid), [real.metadata?.uid]);
    const realList = await getJson<ApiList<ServiceExport>>(
      cluster,
      `${group}/v1beta1/serviceexports`,
    );
    const typeOf = (item: ServiceExport) => [item.apiVersion, item.kind];
    deepStrictEqual(list.items.map(typeOf), realList.items.map(typeOf), "items carry their type");
    equal(list.metadata.resourceVersion, one.metadata?.resourceVersion);

    await serviceExport(cluster, "web", { tier: "back" });
    const modified = await seen(
      "MODIFIED",
      (object) => object.spec?.exportedLabels?.["tier"] === "back",
    );
    ok(
      Number(modified.object.metadata?.resourceVersion) >
        Number(added.object.metadata?.resourceVersion),
    );
    await serviceExport(cluster, "web", "deleted");
    await seen("DELETED");
    deepStrictEqual(
      watch.events.filter((event) => event.type !== "BOOKMARK").map((event) => event.type),
      ["ADDED", "MODIFIED", "DELETED"],
    );
    const missing = await fetch(`${url}${exportsPath}/web`);
    equal(missing.status, 404);
    await missing.body?.cancel();
  } finally {
    await watch.stop();
  }
}

async function kubectlGets(cluster: Cluster, url: string): Promise<void> {
  await serviceExport(cluster, "web", {});
  await poll(async () => {
    const response = await fetch(`${url}${exportsPath}/web`);
    await response.body?.cancel();
    return response.ok || undefined;
  }, { description: "the Emitter serving shop/web's export" });
  const table = await getJson<Table>(fetcherAt(url), exportsPath, { accept: tableAccept });
  const real = await getJson<Table>(cluster, exportsPath, { accept: tableAccept });
  deepStrictEqual(table.columnDefinitions, real.columnDefinitions, "the CRD's printer columns");
  // Both were rendered within a second or so of each other: the ages are of one timestamp.
  const cells = (of: Table) =>
    of.rows.map(({ cells: [name, age] }) => [name, /^\d+s$/.test(String(age)) ? "seconds" : age]);
  deepStrictEqual(cells(table), cells(real));
  deepStrictEqual(cells(table), [["web", "seconds"]]);
  const rowObjects = (of: Table) =>
    of.rows.map((row) => [row.object?.kind, row.object?.metadata?.uid]);
  deepStrictEqual(rowObjects(table), rowObjects(real), "rows carry the object's metadata");

  for (const resource of ["serviceexports", "svcex", "serviceexports.multicluster.x-k8s.io"]) {
    const result = await kubectlAt(url, "get", resource, "-n", namespace);
    equal(result.code, 0, result.stderr);
    const [header, ...rows] = result.stdout.trim().split("\n");
    deepStrictEqual(header?.split(/\s+/), ["NAME", "AGE"], resource);
    deepStrictEqual(rows.map((row) => row.split(/\s+/)[0]), ["web"], resource);
    ok(/^web\s+\d+s$/.test(rows[0] ?? ""), `AGE is printed as an age: ${rows[0]}`);
  }
  const json = await kubectlAt(url, "get", "serviceexport", "web", "-n", namespace, "-o", "json");
  equal(json.code, 0, json.stderr);
  equal((JSON.parse(json.stdout) as ServiceExport).kind, "ServiceExport");
  const write = await kubectlAt(url, "delete", "serviceexport", "web", "-n", namespace);
  ok(write.code !== 0 && write.stderr.includes("MethodNotAllowed"), write.stderr);
}

/**
 * `cluster` served on loopback as admin, but for its first discovery
 * request of the MCS group, held until `release` resolves and then failed
 * with a 500; `held` resolves once that request arrived.
 */
function failingFirstDiscovery(cluster: Cluster, release: Promise<void>) {
  const held = Promise.withResolvers<void>();
  let failed = false;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const url = new URL(request.url);
      if (url.pathname === `${group}/v1beta1` && !failed) {
        failed = true;
        held.resolve();
        await release;
        return new Response("injected failure", { status: 500 });
      }
      // Forwarded whole: the Emitter's access reviews are POSTs.
      const answer = await cluster.fetch(url.pathname + url.search, {
        method: request.method,
        headers: request.headers,
        ...(request.body ? { body: await request.arrayBuffer() } : {}),
        signal: request.signal,
      });
      return new Response(answer.body, { status: answer.status, headers: answer.headers });
    },
  );
  return { server, held: held.promise };
}

async function discoveryRetried(cluster: Cluster): Promise<void> {
  const release = Promise.withResolvers<void>();
  const { server, held } = failingFirstDiscovery(cluster, release.promise);
  using transport = new Transport(configFromUrl(`http://127.0.0.1:${server.addr.port}`));
  const errors: string[] = [];
  const emitter = new Emitter({
    rest: new RestClient(transport),
    selector: parseLabelSelector("export=yes"),
    onUpstreamError: (error, resource, phase) => errors.push(`${resource} ${phase}: ${error}`),
  });
  const request = (path: string) => emitter.handler(new Request(`http://emitter.test${path}`));
  const controller = new AbortController();
  const running = emitter.run(controller.signal);
  try {
    await held;
    const pending = await request(`${group}/v1beta1`);
    equal(pending.status, 503, "not known yet whether the group is served");
    equal(pending.headers.get("retry-after"), "1");
    await pending.body?.cancel();
    equal((await request("/api/v1")).status, 200, "the other documents are served meanwhile");
    release.resolve();
    await poll(() => emitter.ready || undefined, { description: "the Emitter to sync" });
    equal(emitter.serviceExportsVersion, "v1beta1");
    equal(errors.length, 1, errors.join("\n"));
    ok(errors[0]?.startsWith("serviceexports discovery: "), errors[0]);
    ok(errors[0]?.includes("500"), errors[0]);
    const served = await request(`${group}/v1beta1/serviceexports`);
    equal(served.status, 200);
    await served.body?.cancel();
  } finally {
    release.resolve();
    controller.abort();
    await running;
    await server.shutdown();
  }
}

async function forbiddenServesNone(cluster: Cluster): Promise<void> {
  await withTempDir(async (dir) => {
    // The mirror dialect's manifests grant no ServiceExports.
    const { token } = await installIdentity(cluster, dir);
    using transport = new Transport(tokenConfig(cluster, token));
    const errors: string[] = [];
    const emitter = new Emitter({
      rest: new RestClient(transport),
      selector: parseLabelSelector("export=yes"),
      onUpstreamError: (error, resource, phase) => errors.push(`${resource} ${phase}: ${error}`),
    });
    const controller = new AbortController();
    const running = emitter.run(controller.signal);
    try {
      await poll(() => emitter.ready || undefined, { description: "the Emitter to be ready" });
      equal(emitter.serviceExportsVersion, undefined);
      deepStrictEqual(errors, [
        `serviceexports discovery: Error: ServiceExports (${
          group.slice(6)
        }/v1beta1) are served by the cluster, but this Emitter may not list them: they are not served (grant list and watch of serviceexports to serve them)`,
      ]);
      const response = await emitter.handler(new Request(`http://emitter.test${exportsPath}`));
      equal(response.status, 404);
      await response.body?.cancel();
    } finally {
      controller.abort();
      await running;
    }
  });
}

async function groupAbsent(url: string): Promise<void> {
  const groups = await getJson<APIGroupList>(fetcherAt(url), "/apis");
  deepStrictEqual(groups.groups.map((each) => each.name), ["discovery.k8s.io"]);
  for (
    const path of [
      group,
      `${group}/v1beta1`,
      `${group}/v1alpha1`,
      exportsPath,
      `${exportsPath}/web`,
    ]
  ) {
    const response = await fetch(url + path);
    equal(response.status, 404, path);
    equal(await response.text(), "404 page not found\n", path);
  }
  const result = await kubectlAt(url, "get", "serviceexports", "-n", namespace);
  ok(
    result.code !== 0 && result.stderr.includes(`the server doesn't have a resource type`),
    result.stderr,
  );
}

Deno.test("the Emitter serves ServiceExports exactly where its cluster serves them", async (t) => {
  await withClusters([{ name: "mcs-emitter", mcs: true }, "plain-emitter"], async (clusters) => {
    const [withMcs, plain] = clusters;
    if (!withMcs || !plain) throw new Error("no clusters");
    await withMcs.kubectl("create", "namespace", namespace);
    await using served = await runningEmitter(withMcs);
    await using bare = await runningEmitter(plain);
    equal(served.emitter.serviceExportsVersion, "v1beta1");
    equal(bare.emitter.serviceExportsVersion, undefined);

    await t.step(
      "discovery lists the group in the cluster's version, with the CRD's names and read verbs",
      () => discovery(withMcs, served.url),
    );
    await t.step(
      "a ServiceExport is got, listed and watched: an add, an update and a delete",
      () => getListWatch(withMcs, served.url),
    );
    await t.step(
      "kubectl get serviceexports prints the CRD's Table, as from kube-apiserver",
      () => kubectlGets(withMcs, served.url),
    );
    await t.step(
      "a failed discovery is reported and retried; until it answers, the group is 503",
      () => discoveryRetried(withMcs),
    );
    await t.step(
      "on a cluster without the MCS CRDs, nothing of the group is served",
      () => groupAbsent(bare.url),
    );
    await t.step(
      "an identity that may not read ServiceExports serves none, is ready, and is told once",
      () => forbiddenServesNone(withMcs),
    );
  });
});
