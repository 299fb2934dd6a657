import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import { type Cluster, startGoInformer, withClusters } from "./mod.ts";
import { type GoInformerItem, goInformerItems } from "./go_informer.ts";
import { type ApiList, getJson } from "../support/api_json.ts";

const namespace = "informed";

/** Keys and resourceVersions of a fresh list, as the Go informer reports them. */
async function listed(cluster: Cluster, path: string): Promise<GoInformerItem[]> {
  return goInformerItems((await getJson<ApiList<Service>>(cluster, path)).items);
}

function find(items: GoInformerItem[], key: string): GoInformerItem | undefined {
  return items.find((item) => item.key === key);
}

/** Whether a snapshot holds Service `web` at `resourceVersion`. */
function webAt(resourceVersion: string): (items: GoInformerItem[]) => boolean {
  return (items) => find(items, `${namespace}/web`)?.resourceVersion === resourceVersion;
}

async function resourceVersionOf(cluster: Cluster, name: string): Promise<string> {
  return await cluster.kubectl(
    "get",
    "service",
    name,
    `--namespace=${namespace}`,
    "--output=jsonpath={.metadata.resourceVersion}",
  );
}

/** True while a process with this pid exists (zombies included). */
async function processExists(pid: number): Promise<boolean> {
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

Deno.test("a client-go informer follows Services of a real kube-apiserver", async () => {
  await withClusters(["goinformer"], async ([cluster]) => {
    if (!cluster) throw new Error("withClusters returned no cluster");
    await cluster.kubectl("create", "namespace", namespace);
    const auth = { server: cluster.server, caFile: cluster.caPath, token: cluster.token };

    let pids: number[];
    {
      await using informer = await startGoInformer(auth);
      // Namespace, label selector and the other resources go through the
      // same list options: only the labelled Service and what the
      // controllers derive from it (they copy the Service's labels) are seen.
      await using selective = await startGoInformer({
        ...auth,
        resources: ["services", "endpointslices", "endpoints"],
        namespace,
        labelSelector: "informer-test=selected",
      });
      pids = [informer.pid, selective.pid];
      deepStrictEqual(selective.snapshot("services"), []);

      // create
      await cluster.kubectl(
        "create",
        "service",
        "clusterip",
        "web",
        `--namespace=${namespace}`,
        "--tcp=80:8080",
      );
      const created = await resourceVersionOf(cluster, "web");
      await informer.waitFor("services", webAt(created), {
        description: `${namespace}/web at resourceVersion ${created}`,
      });

      // update
      await cluster.kubectl(
        "label",
        "service",
        "web",
        `--namespace=${namespace}`,
        "informer-test=selected",
      );
      const updated = await resourceVersionOf(cluster, "web");
      ok(updated !== created, `resourceVersion did not change: ${updated}`);
      await informer.waitFor("services", webAt(updated), {
        description: `${namespace}/web at resourceVersion ${updated}`,
      });
      await selective.waitFor("services", webAt(updated), {
        description: `the labelled ${namespace}/web`,
      });
      await selective.waitFor(
        "endpoints",
        (items) => find(items, `${namespace}/web`) !== undefined,
        { description: `Endpoints ${namespace}/web (labels copied from the Service)` },
      );
      const slices = await selective.waitFor(
        "endpointslices",
        (items) => items.some((item) => item.key.startsWith(`${namespace}/web-`)),
        { description: `an EndpointSlice of ${namespace}/web (labels copied from the Service)` },
      );
      ok(slices.every((item) => item.key.startsWith(`${namespace}/web-`)), JSON.stringify(slices));

      // delete
      await cluster.kubectl(
        "create",
        "service",
        "clusterip",
        "other",
        `--namespace=${namespace}`,
        "--tcp=81",
      );
      await cluster.kubectl("delete", "service", "web", `--namespace=${namespace}`, "--wait=true");
      await informer.waitFor(
        "services",
        (items) => !find(items, `${namespace}/web`) && !!find(items, `${namespace}/other`),
        { description: `${namespace}/web gone and ${namespace}/other there` },
      );
      await selective.waitFor(
        "services",
        (items) => items.length === 0,
        { description: "no labelled Service" },
      );

      // Nothing changes any more: the cache converges to a fresh list.
      const fresh = await listed(cluster, "/api/v1/services");
      ok(find(fresh, `${namespace}/other`), JSON.stringify(fresh));
      const seen = await informer.waitFor(
        "services",
        (items) => JSON.stringify(items) === JSON.stringify(fresh),
        { description: `the same Services as a fresh list ${JSON.stringify(fresh)}` },
      );
      deepStrictEqual(seen, fresh);
      deepStrictEqual(informer.errors(), []);
      deepStrictEqual(selective.errors(), []);
      // Stopped here and again on disposal: stop() is idempotent.
      await informer.stop();
    }
    for (const pid of pids) equal(await processExists(pid), false, `process ${pid} still exists`);
  });
});

Deno.test("the Go informer lists then watches a server without streaming lists", async () => {
  const requests: URL[] = [];
  const service = (name: string, resourceVersion: string) => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "demo", resourceVersion },
  });
  const encoder = new TextEncoder();
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      const url = new URL(request.url);
      requests.push(url);
      if (url.searchParams.get("watch") !== "true") {
        return Response.json({
          apiVersion: "v1",
          kind: "ServiceList",
          metadata: { resourceVersion: "10" },
          items: [service("a", "5")],
        });
      }
      if (requests.filter((r) => r.searchParams.get("watch") === "true").length === 1) {
        return Response.json({
          apiVersion: "v1",
          kind: "Status",
          status: "Failure",
          reason: "Expired",
          code: 410,
          message: "too old resource version: 10 (11)",
        }, { status: 410 });
      }
      // A plain watch that ignores sendInitialEvents: one event, then open
      // until the client goes away (which cancels the stream).
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          const event = { type: "ADDED", object: service("b", "11") };
          controller.enqueue(encoder.encode(`${JSON.stringify(event)}\n`));
        },
      });
      return new Response(body, { headers: { "content-type": "application/json" } });
    },
  );
  await using informer = await startGoInformer({
    server: `http://127.0.0.1:${server.addr.port}`,
    intervalMs: 50,
  });
  await informer.waitFor(
    "services",
    (items) => items.length === 2,
    { description: "the listed and the watched Service", timeoutMs: 15_000 },
  );
  deepStrictEqual(informer.snapshot("services"), [
    { key: "demo/a", resourceVersion: "5" },
    { key: "demo/b", resourceVersion: "11" },
  ]);
  const errors = informer.errors();
  equal(errors.length, 1, JSON.stringify(errors));
  ok(errors[0]?.startsWith("watch error: services: "), errors[0]);
  ok(errors[0]?.includes("too old resource version"), errors[0]);

  const [list, ...rest] = requests;
  equal(list?.searchParams.get("resourceVersion"), "0");
  equal(list?.searchParams.has("watch"), false);
  const watches = rest.filter((url) => url.searchParams.get("watch") === "true");
  ok(watches.length >= 2, requests.map(String).join("\n"));
  for (const watch of watches) {
    equal(watch.searchParams.get("allowWatchBookmarks"), "true");
    equal(watch.searchParams.has("sendInitialEvents"), false, String(watch));
  }
});
