import { deepStrictEqual, equal } from "node:assert/strict";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import type { Status } from "kubernetes-types/meta/v1.d.ts";
import type { ApiList } from "../../tests/support/api_json.ts";
import { exportedView } from "../../tests/support/emitter_upstream.ts";
import { decodeWatchEvents, type WatchEvent } from "../kube/watch_stream.ts";
import { createHandler, type HandlerOptions } from "./handler.ts";
import { type TableKinds, toTable } from "./table.ts";
import { WatchHub, type WatchHubOptions } from "./watch.ts";

type List = ApiList<Service>;

/** An Emitter handler over hand-filled caches, already started. */
function setup(
  options: Partial<Omit<HandlerOptions, "hub">> & {
    watch?: WatchHubOptions;
    historySize?: number;
  } = {},
) {
  const { upstream, view } = exportedView({ historySize: options.historySize ?? 100 });
  const renderTable = (
    resource: { objectKind: keyof TableKinds },
    objects: unknown[],
    resourceVersion: string,
  ) => toTable(resource.objectKind, objects as TableKinds[keyof TableKinds][], { resourceVersion });
  const { watch, historySize: _, ...handlerOptions } = options;
  const hub = new WatchHub(view, { renderTable, ...watch });
  const handler = createHandler({
    view,
    hub,
    ready: () => view.started,
    renderTable,
    ...handlerOptions,
  });
  const request = (path: string, init: RequestInit = {}) =>
    handler(new Request(`http://emitter.test${path}`, init));
  return { upstream, view, hub, request };
}

async function json<T>(response: Response): Promise<T> {
  return await response.json() as T;
}

/** Reads events from a watch response until `count` arrived, then cancels it. */
async function events(response: Response, count: number): Promise<WatchEvent<Service>[]> {
  const out: WatchEvent<Service>[] = [];
  if (!response.body) throw new Error("no body");
  for await (const event of decodeWatchEvents<Service>(response.body)) {
    out.push(event);
    if (out.length === count) break;
  }
  return out;
}

Deno.test("the handler serves discovery with read verbs only and health", async () => {
  const { request, view } = setup();
  const core = await json<{ resources: { name: string; verbs: string[] }[] }>(
    await request("/api/v1"),
  );
  deepStrictEqual(core.resources.map((resource) => [resource.name, resource.verbs]), [
    ["endpoints", ["get", "list", "watch"]],
    ["services", ["get", "list", "watch"]],
  ]);
  const groups = await json<{ groups: { name: string }[] }>(await request("/apis"));
  deepStrictEqual(groups.groups.map((group) => group.name), ["discovery.k8s.io"]);
  equal((await request("/readyz")).status, 500, "not ready before the caches synced");
  equal((await request("/api/v1/services")).status, 503);
  view.start();
  equal((await request("/readyz")).status, 200);
  equal(await (await request("/healthz")).text(), "ok");
});

Deno.test("the handler lists with selectors and pages in key order", async () => {
  const { upstream, view, request } = setup();
  for (const name of ["e", "d", "c", "b", "a"]) {
    upstream.service("shop", name, { export: "yes", tier: name < "c" ? "front" : "back" });
  }
  upstream.service("shop", "hidden", { tier: "front" });
  upstream.service("other", "x", { export: "yes" });
  view.start();
  const all = await json<List>(await request("/api/v1/services"));
  deepStrictEqual(
    all.items.map((item) => item.metadata?.name),
    ["x", "a", "b", "c", "d", "e"].slice(0, 6).sort((a, b) =>
      `${a === "x" ? "other" : "shop"}/${a}`.localeCompare(`${b === "x" ? "other" : "shop"}/${b}`)
    ),
  );
  equal(all.metadata.resourceVersion, "2000000");
  const front = await json<List>(
    await request("/api/v1/namespaces/shop/services?labelSelector=tier%3Dfront"),
  );
  deepStrictEqual(front.items.map((item) => item.metadata?.name), ["a", "b"]);
  const named = await json<List>(await request("/api/v1/services?fieldSelector=metadata.name%3Dc"));
  deepStrictEqual(named.items.map((item) => item.metadata?.name), ["c"]);

  const first = await json<List>(await request("/api/v1/namespaces/shop/services?limit=2"));
  deepStrictEqual(first.items.map((item) => item.metadata?.name), ["a", "b"]);
  equal(first.metadata.remainingItemCount, 3);
  const second = await json<List>(
    await request(`/api/v1/namespaces/shop/services?limit=2&continue=${first.metadata.continue}`),
  );
  deepStrictEqual(second.items.map((item) => item.metadata?.name), ["c", "d"]);
  upstream.service("shop", "f", { export: "yes" });
  upstream.deleteService("shop", "e");
  const third = await json<List>(
    await request(`/api/v1/namespaces/shop/services?limit=2&continue=${second.metadata.continue}`),
  );
  deepStrictEqual(
    [third.items.map((item) => item.metadata?.name), third.metadata.resourceVersion],
    [["e"], first.metadata.resourceVersion],
    "later pages are of the first page's state, changes since left out",
  );
});

Deno.test("the handler lists the state at an Exact version while its history holds it, and 410 once not", async () => {
  const { upstream, view, request } = setup({ historySize: 3 });
  upstream.service("shop", "a", { export: "yes" });
  view.start();
  const names = async (path: string) => {
    const list = await json<List>(await request(path));
    return [
      list.metadata.resourceVersion,
      list.items.map((item) => `${item.metadata?.name}@${item.metadata?.resourceVersion}`).join(),
    ];
  };
  const start = view.resourceVersion;
  upstream.service("shop", "b", { export: "yes" });
  upstream.service("shop", "a", { export: "yes", tier: "front" });
  upstream.deleteService("shop", "b");
  const exact = (version: number) =>
    `/api/v1/services?resourceVersion=${version}&resourceVersionMatch=Exact`;
  deepStrictEqual(
    await Promise.all([start, start + 1, start + 2, start + 3].map((each) => names(exact(each)))),
    [
      [`${start}`, `a@${start}`],
      [`${start + 1}`, `a@${start},b@${start + 1}`],
      [`${start + 2}`, `a@${start + 2},b@${start + 1}`],
      [`${start + 3}`, `a@${start + 2}`],
    ],
  );
  deepStrictEqual(await names(`/api/v1/services?resourceVersion=${start}`), [
    `${start + 3}`,
    `a@${start + 2}`,
  ], "NotOlderThan is the current state");
  const paged = await json<List>(await request(`${exact(start + 1)}&limit=1`));
  deepStrictEqual(paged.items.map((item) => item.metadata?.name), ["a"]);

  // Each change past the window evicts its oldest event: the state before that one is gone.
  const expiredAnswer = async (path: string) => {
    const response = await request(path);
    return [response.status, (await json<Status>(response)).reason];
  };
  const next = `/api/v1/services?limit=1&continue=${paged.metadata.continue}`;
  upstream.service("shop", "c", { export: "yes" });
  deepStrictEqual(await expiredAnswer(exact(start)), [410, "Expired"]);
  deepStrictEqual(await names(next), [`${start + 1}`, `b@${start + 1}`]);
  upstream.service("shop", "d", { export: "yes" });
  deepStrictEqual(await expiredAnswer(exact(start + 1)), [410, "Expired"]);
  deepStrictEqual(await expiredAnswer(next), [410, "Expired"]);
  deepStrictEqual((await names(exact(start + 2)))[1], `a@${start + 2},b@${start + 1}`);
});

Deno.test("the handler answers bad requests with kube-apiserver's codes", async () => {
  const { view, request } = setup();
  view.start();
  const cases: [string, number, string][] = [
    ["/api/v1/services?labelSelector=a%20in%20(b", 400, "BadRequest"],
    ["/api/v1/services?fieldSelector=spec.selector%3Dx", 400, "BadRequest"],
    ["/api/v1/services?resourceVersion=abc", 400, "BadRequest"],
    ["/api/v1/services?resourceVersionMatch=Exact", 422, "Invalid"],
    ["/api/v1/services?resourceVersion=99999999999999999", 504, "Timeout"],
    ["/api/v1/services?resourceVersion=1&resourceVersionMatch=Exact", 410, "Expired"],
    ["/api/v1/services?limit=abc", 400, "BadRequest"],
    ["/api/v1/services?limit=1&continue=garbage", 400, "BadRequest"],
    ["/api/v1/pods", 404, "NotFound"],
    ["/api/v1/namespaces/shop/services/nope", 404, "NotFound"],
  ];
  for (const [path, code, reason] of cases) {
    const response = await request(path);
    const status = await json<Status>(response);
    deepStrictEqual([response.status, status.kind, status.code, status.reason], [
      code,
      "Status",
      code,
      reason,
    ], path);
  }
  for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
    const response = await request("/api/v1/namespaces/shop/services", { method, body: "{}" });
    equal(response.status, 405, method);
    equal((await json<Status>(response)).reason, "MethodNotAllowed");
  }
});

Deno.test("the handler requires credentials when an authenticator is set, except for health", async () => {
  const { view, request } = setup({
    authenticate: (req) => req.headers.get("authorization") === "Bearer good",
  });
  view.start();
  equal((await request("/healthz")).status, 200);
  const refused = await request("/api/v1/services", { headers: { authorization: "Bearer bad" } });
  equal(refused.status, 401);
  equal((await json<Status>(refused)).reason, "Unauthorized");
  equal(
    (await request("/api/v1/services", { headers: { authorization: "Bearer good" } })).status,
    200,
  );
});

Deno.test("a watch from a version replays later changes, then streams new ones", async () => {
  const { upstream, view, hub, request } = setup();
  upstream.service("shop", "web", { export: "yes" });
  view.start();
  upstream.service("shop", "web", { export: "yes", v: "2" });
  const response = await request(
    "/api/v1/namespaces/shop/services?watch=true&resourceVersion=2000000",
  );
  equal(hub.size, 1);
  upstream.deleteService("shop", "web");
  const seen = await events(response, 2);
  deepStrictEqual(
    seen.map((event) => [event.type, event.object.metadata?.resourceVersion, event.object.kind]),
    [
      ["MODIFIED", "2000001", "Service"],
      ["DELETED", "2000002", "Service"],
    ],
  );
  equal(hub.size, 0, "cancelling the body closes the watcher");
});

Deno.test("a watch without a version starts with the current state; sendInitialEvents ends it with a bookmark", async () => {
  const { upstream, view, request } = setup();
  upstream.service("shop", "a", { export: "yes" });
  upstream.service("shop", "b", { export: "yes" });
  view.start();
  const plain = await events(await request("/api/v1/services?watch=1"), 2);
  deepStrictEqual(plain.map((event) => [event.type, event.object.metadata?.name]), [
    ["ADDED", "a"],
    ["ADDED", "b"],
  ]);
  const list = await events(
    await request(
      "/api/v1/services?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
    ),
    3,
  );
  deepStrictEqual(list[2], {
    type: "BOOKMARK",
    object: {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        resourceVersion: "2000000",
        annotations: { "k8s.io/initial-events-end": "true" },
      },
    },
  });
});

Deno.test("a watch from a version older than the history gets 410 in the stream", async () => {
  const { upstream, view, request } = setup({ historySize: 2 });
  view.start();
  for (let index = 0; index < 4; index++) upstream.service("shop", `s${index}`, { export: "yes" });
  const response = await request("/api/v1/services?watch=true&resourceVersion=2000000");
  equal(response.status, 200);
  const [error] = await events(response, 1);
  equal(error?.type, "ERROR");
  const status = error?.object as unknown as Status;
  deepStrictEqual([status.code, status.reason, status.message], [
    410,
    "Expired",
    "too old resource version: 2000000 (2000002)",
  ]);
});

Deno.test("a label-selected watch sees a Service leave and enter its selection", async () => {
  const { upstream, view, request } = setup();
  upstream.service("shop", "web", { export: "yes", tier: "front" });
  view.start();
  const response = await request(
    "/api/v1/services?watch=true&resourceVersion=2000000&labelSelector=tier%3Dfront",
  );
  upstream.service("shop", "web", { export: "yes", tier: "back" });
  upstream.service("shop", "web", { export: "yes", tier: "front" });
  const seen = await events(response, 2);
  deepStrictEqual(
    seen.map((
      event,
    ) => [
      event.type,
      event.object.metadata?.labels?.["tier"],
      event.object.metadata?.resourceVersion,
    ]),
    [
      ["DELETED", "front", "2000001"],
      ["ADDED", "front", "2000002"],
    ],
  );
});

Deno.test("watchers beyond the cap get 429 and a slow watcher is closed", async () => {
  const { upstream, view, hub, request } = setup({ watch: { maxWatchers: 1, bufferBytes: 2048 } });
  view.start();
  const slow = await request("/api/v1/services?watch=true&resourceVersion=2000000");
  const refused = await request("/api/v1/services?watch=true");
  equal(refused.status, 429);
  equal(refused.headers.get("retry-after"), "1");
  await refused.body?.cancel();
  for (let index = 0; index < 40; index++) upstream.service("shop", `s${index}`, { export: "yes" });
  equal(hub.size, 0, "the watcher that fell behind was closed");
  // As kube-apiserver drops an unresponsive watcher's queue, the stream
  // just ends: the client resumes from the last version it read.
  const received = [];
  for await (const event of decodeWatchEvents<Service>(slow.body as ReadableStream<Uint8Array>)) {
    received.push(event);
  }
  deepStrictEqual(received, []);
});

Deno.test("kubectl's Table Accept header gets a Table for lists, gets and watch events", async () => {
  const { upstream, view, request } = setup();
  upstream.service("shop", "web", { export: "yes" });
  view.start();
  const accept =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
  const table = await json<{ kind: string; rows: { cells: unknown[] }[] }>(
    await request("/api/v1/namespaces/shop/services", { headers: { accept } }),
  );
  equal(table.kind, "Table");
  equal(table.rows[0]?.cells[0], "web");
  const one = await json<{ kind: string }>(
    await request("/api/v1/namespaces/shop/services/web", { headers: { accept } }),
  );
  equal(one.kind, "Table");
  const watch = await request("/api/v1/namespaces/shop/services?watch=1&resourceVersion=2000000", {
    headers: { accept },
  });
  upstream.service("shop", "web", { export: "yes", v: "2" });
  const [event] = await events(watch, 1);
  equal((event?.object as unknown as { kind: string }).kind, "Table");
});
