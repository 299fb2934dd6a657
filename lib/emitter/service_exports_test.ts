/**
 * ServiceExports through the Emitter's handler, over hand-filled caches:
 * discovery of the MCS group exactly when they are served (and 503 while
 * that is not known yet), get, list and watch with the machinery of the
 * other kinds, and the CRD's Table.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Endpoints, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import type { APIGroupList, APIResourceList, Status } from "kubernetes-types/meta/v1.d.ts";
import type { ApiList } from "../../tests/support/api_json.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { objectKey, sliceServiceKeys } from "../kube/object.ts";
import { Store } from "../kube/store.ts";
import { decodeWatchEvents, type WatchEvent } from "../kube/watch_stream.ts";
import type { McsVersion, ServiceExport } from "../mcs/api.ts";
import { createHandler } from "./handler.ts";
import { ServedApis } from "./served_apis.ts";
import type { Table } from "./table.ts";
import { type TableKinds, toTable } from "./table.ts";
import { sliceServiceIndex, View } from "./view.ts";
import { WatchHub } from "./watch.ts";

const group = "/apis/multicluster.x-k8s.io/v1beta1";
const exportsIn = (namespace: string) => `${group}/namespaces/${namespace}/serviceexports`;
const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

let upstreamVersion = 100;
/** Creation time of every export: ten days ago, so that its AGE reads `10d` for hours. */
const created = new Date(Date.now() - 10 * 24 * 3_600_000).toISOString();

/** A started-on-demand handler whose cluster serves ServiceExports in `apis`' version. */
function setup(apis: ServedApis = new ServedApis({ serviceExports: "v1beta1" })) {
  const serviceExports = new Store<ServiceExport>();
  const services = new Store<Service>();
  const view = new View({
    services,
    endpoints: new Store<Endpoints>(),
    endpointSlices: new Store<EndpointSlice>({
      indexers: { [sliceServiceIndex]: sliceServiceKeys },
    }),
    serviceExports,
  }, {
    selectsService: (service) => service.metadata?.labels?.["export"] === "yes",
    clock: new FakeClock(3_000),
    historySize: 100,
  });
  const renderTable = (
    resource: { objectKind: keyof TableKinds },
    objects: unknown[],
    resourceVersion: string,
  ) => toTable(resource.objectKind, objects as TableKinds[keyof TableKinds][], { resourceVersion });
  const hub = new WatchHub(view, { renderTable });
  const handler = createHandler({ view, hub, apis, ready: () => view.started, renderTable });
  const request = (path: string, init: RequestInit = {}) =>
    handler(new Request(`http://emitter.test${path}`, init));
  /** Adds or replaces the ServiceExport `namespace/name` upstream, as its informer would. */
  const put = (
    namespace: string,
    name: string,
    options: { labels?: Record<string, string>; exportedLabels?: Record<string, string> } = {},
  ) => {
    const object: ServiceExport = {
      metadata: {
        namespace,
        name,
        labels: options.labels ?? {},
        resourceVersion: String(++upstreamVersion),
        creationTimestamp: created,
      },
      spec: { exportedLabels: options.exportedLabels ?? {} },
    };
    serviceExports.set(object);
    view.serviceExportChanged(objectKey(object));
  };
  const remove = (namespace: string, name: string) => {
    serviceExports.delete(`${namespace}/${name}`);
    view.serviceExportChanged(`${namespace}/${name}`);
  };
  return { view, hub, request, put, remove, services };
}

async function json<T>(response: Response): Promise<T> {
  equal(response.headers.get("content-type"), "application/json");
  return await response.json() as T;
}

async function events(response: Response, count: number): Promise<WatchEvent<ServiceExport>[]> {
  const out: WatchEvent<ServiceExport>[] = [];
  for await (const event of decodeWatchEvents<ServiceExport>(response.body as ReadableStream)) {
    out.push(event);
    if (out.length === count) break;
  }
  return out;
}

const names = (list: ApiList<ServiceExport>) => list.items.map((item) => objectKey(item));

Deno.test("discovery advertises ServiceExports, read-only, in the one version served", async () => {
  for (const version of ["v1beta1", "v1alpha1"] satisfies McsVersion[]) {
    const { request } = setup(new ServedApis({ serviceExports: version }));
    const groupVersion = `multicluster.x-k8s.io/${version}`;
    const groups = await json<APIGroupList>(await request("/apis"));
    deepStrictEqual(groups.groups.map((each) => each.name), [
      "discovery.k8s.io",
      "multicluster.x-k8s.io",
    ]);
    const only = { groupVersion, version };
    deepStrictEqual(groups.groups[1], {
      name: "multicluster.x-k8s.io",
      versions: [only],
      preferredVersion: only,
    });
    deepStrictEqual(await json(await request("/apis/multicluster.x-k8s.io/")), {
      kind: "APIGroup",
      apiVersion: "v1",
      name: "multicluster.x-k8s.io",
      versions: [only],
      preferredVersion: only,
    });
    deepStrictEqual(await json<APIResourceList>(await request(`/apis/${groupVersion}`)), {
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion,
      resources: [{
        name: "serviceexports",
        singularName: "serviceexport",
        namespaced: true,
        kind: "ServiceExport",
        verbs: ["get", "list", "watch"],
        shortNames: ["svcex", "svcexport"],
      }],
    });
    const other = version === "v1beta1" ? "v1alpha1" : "v1beta1";
    const unserved = await request(`/apis/multicluster.x-k8s.io/${other}`);
    equal(unserved.status, 404, "the other version is not served");
    equal(await unserved.text(), "404 page not found\n");
  }
});

Deno.test("without ServiceExports, nothing of the MCS group is served", async () => {
  const { request, view } = setup(new ServedApis());
  view.start();
  const groups = await json<APIGroupList>(await request("/apis"));
  deepStrictEqual(groups.groups.map((each) => each.name), ["discovery.k8s.io"]);
  for (
    const path of [
      "/apis/multicluster.x-k8s.io",
      `${group}`,
      `${group}/serviceexports`,
      `${exportsIn("shop")}/web`,
    ]
  ) {
    const response = await request(path);
    equal(response.status, 404, path);
    equal(await response.text(), "404 page not found\n", path);
  }
});

Deno.test("until it is decided whether ServiceExports are served, the MCS group answers 503", async () => {
  const apis = new ServedApis({ undecided: true });
  const { request, view } = setup(apis);
  for (const path of ["/apis/multicluster.x-k8s.io", group, `${group}/serviceexports`]) {
    const response = await request(path);
    equal(response.status, 503, path);
    equal(response.headers.get("retry-after"), "1");
    const status = await json<Status>(response);
    equal(status.reason, "ServiceUnavailable");
    equal(
      status.message,
      "the Emitter has not found out yet whether its cluster serves multicluster.x-k8s.io",
    );
  }
  const groups = await json<APIGroupList>(await request("/apis"));
  deepStrictEqual(groups.groups.map((each) => each.name), ["discovery.k8s.io"]);
  equal((await request("/apis/nope.io/v1")).status, 404, "other groups are not concerned");
  apis.decide("v1beta1");
  equal((await request(group)).status, 200);
  const notSynced = await request(`${group}/serviceexports`);
  equal(notSynced.status, 503, "not synced yet");
  await notSynced.body?.cancel();
  view.start();
  equal((await request(`${group}/serviceexports`)).status, 200);
});

Deno.test("every ServiceExport is served, whatever the Services' selector, but a Reflector's", async () => {
  const { request, view, put } = setup();
  put("shop", "web");
  put("shop", "db", { labels: { tier: "back" } });
  put("other", "web", { labels: { tier: "front" } });
  put("shop", "mirror", { labels: { "app.kubernetes.io/managed-by": "service-reflector" } });
  view.start();
  const all = await json<ApiList<ServiceExport>>(await request(`${group}/serviceexports`));
  deepStrictEqual(names(all), ["other/web", "shop/db", "shop/web"]);
  equal(all.metadata.resourceVersion, "3000000");
  equal((all as unknown as { kind: string }).kind, "ServiceExportList");
  equal((all as unknown as { apiVersion: string }).apiVersion, "multicluster.x-k8s.io/v1beta1");
  equal(all.items[0]?.metadata?.resourceVersion, "3000000", "the Emitter's versions");
  deepStrictEqual(
    all.items.map((item) => [item.apiVersion, item.kind, Object.keys(item)[2]]),
    Array(3).fill(["multicluster.x-k8s.io/v1beta1", "ServiceExport", "metadata"]),
    "items carry their type first, as a custom resource's",
  );

  const one = await json<ServiceExport>(await request(`${exportsIn("shop")}/web`));
  equal(one.kind, "ServiceExport");
  equal(one.apiVersion, "multicluster.x-k8s.io/v1beta1");
  equal(one.metadata?.name, "web");
  deepStrictEqual(
    await json(await request(`${exportsIn("shop")}/web/status`)),
    one,
    "status is the object",
  );
  const missing = await request(`${exportsIn("shop")}/mirror`);
  equal(missing.status, 404);
  const status = await json<Status>(missing);
  equal(status.message, 'serviceexports.multicluster.x-k8s.io "mirror" not found');
  deepStrictEqual(status.details, {
    name: "mirror",
    group: "multicluster.x-k8s.io",
    kind: "serviceexports",
  });
  const write = await request(`${exportsIn("shop")}/web`, { method: "DELETE" });
  equal(write.status, 405);
  await write.body?.cancel();
});

Deno.test("ServiceExports are listed with label and field selectors and in pages", async () => {
  const { request, view, put } = setup();
  for (const name of ["a", "b", "c", "d"]) {
    put("shop", name, { labels: { tier: name < "c" ? "front" : "back" } });
  }
  put("other", "a");
  view.start();
  const list = async (path: string) =>
    names(await json<ApiList<ServiceExport>>(await request(path)));
  deepStrictEqual(await list(`${exportsIn("shop")}?labelSelector=tier%3Dfront`), [
    "shop/a",
    "shop/b",
  ]);
  deepStrictEqual(await list(`${group}/serviceexports?fieldSelector=metadata.name%3Da`), [
    "other/a",
    "shop/a",
  ]);
  deepStrictEqual(
    await list(`${group}/serviceexports?fieldSelector=metadata.namespace%3Dother`),
    ["other/a"],
  );
  const badField = await request(`${group}/serviceexports?fieldSelector=spec.type%3DClusterIP`);
  equal(badField.status, 400, "only metadata fields are selectable, as for the CRD");
  await badField.body?.cancel();

  const first = await json<ApiList<ServiceExport>>(await request(`${exportsIn("shop")}?limit=3`));
  deepStrictEqual(names(first), ["shop/a", "shop/b", "shop/c"]);
  equal(first.metadata.remainingItemCount, 1);
  put("shop", "e");
  const second = await json<ApiList<ServiceExport>>(
    await request(`${exportsIn("shop")}?limit=3&continue=${first.metadata.continue}`),
  );
  deepStrictEqual(names(second), ["shop/d"], "later pages are of the first page's state");
  const exact = await list(
    `${
      exportsIn("shop")
    }?resourceVersion=${first.metadata.resourceVersion}&resourceVersionMatch=Exact`,
  );
  deepStrictEqual(exact, ["shop/a", "shop/b", "shop/c", "shop/d"]);
});

Deno.test("a watch of ServiceExports sees an add, an update and a delete, with bookmarks", async () => {
  const { request, view, hub, put, remove } = setup();
  put("shop", "web");
  view.start();
  const from = view.resourceVersion;
  const watch = await request(`${exportsIn("shop")}?watch=true&resourceVersion=${from}`);
  equal(watch.status, 200);
  put("shop", "api");
  put("shop", "api", { exportedLabels: { tier: "back" } });
  remove("shop", "api");
  put("other", "elsewhere");
  const seen = await events(watch, 3);
  deepStrictEqual(seen.map((event) => [event.type, event.object.metadata?.name]), [
    ["ADDED", "api"],
    ["MODIFIED", "api"],
    ["DELETED", "api"],
  ]);
  deepStrictEqual(seen[1]?.object.spec?.exportedLabels, { tier: "back" });
  equal(seen[0]?.object.kind, "ServiceExport");
  equal(seen[0]?.object.apiVersion, "multicluster.x-k8s.io/v1beta1");
  deepStrictEqual(
    seen.map((event) => Number(event.object.metadata?.resourceVersion)),
    [from + 1, from + 2, from + 3],
  );

  const initial = await events(
    await request(
      `${group}/serviceexports?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
    ),
    3,
  );
  deepStrictEqual(initial.map((event) => [event.type, event.object.metadata?.name]), [
    ["ADDED", "elsewhere"],
    ["ADDED", "web"],
    ["BOOKMARK", undefined],
  ]);
  deepStrictEqual(initial[2]?.object, {
    kind: "ServiceExport",
    apiVersion: "multicluster.x-k8s.io/v1beta1",
    metadata: {
      resourceVersion: String(view.resourceVersion),
      annotations: { "k8s.io/initial-events-end": "true" },
    },
  });
  equal(hub.size, 0);
  hub.close();
});

Deno.test("kubectl's Table Accept header gets the CRD's Table of ServiceExports", async () => {
  const { request, view, hub, put } = setup();
  put("shop", "web");
  view.start();
  const list = await json<Table>(
    await request(exportsIn("shop"), { headers: { accept: tableAccept } }),
  );
  deepStrictEqual(list.columnDefinitions.map((column) => [column.name, column.type]), [
    ["Name", "string"],
    ["Age", "date"],
  ]);
  deepStrictEqual(list.rows.map((row) => row.cells), [["web", "10d"]]);
  equal(list.metadata.resourceVersion, String(view.resourceVersion));
  const one = await json<Table>(
    await request(`${exportsIn("shop")}/web`, { headers: { accept: tableAccept } }),
  );
  deepStrictEqual(one.rows.map((row) => row.cells), [["web", "10d"]]);
  const watch = await request(`${exportsIn("shop")}?watch=1`, { headers: { accept: tableAccept } });
  const [event] = await events(watch, 1);
  equal((event?.object as unknown as Table).kind, "Table");
  deepStrictEqual((event?.object as unknown as Table).rows[0]?.cells, [
    "web",
    "10d",
  ]);
  ok(hub.size === 0);
  hub.close();
});
