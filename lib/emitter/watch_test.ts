/**
 * Watches over real HTTP on loopback: lines shared between watchers,
 * starting states delivered at the reader's pace, and the bound on what a
 * watcher that stops reading may hold.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import { exportedView } from "../../tests/support/emitter_upstream.ts";
import { poll } from "../../tests/support/poll.ts";
import { decodeWatchEvents, type WatchEvent } from "../kube/watch_stream.ts";
import type { EventType } from "./event_lines.ts";
import { createHandler } from "./handler.ts";
import { WatchHub, type WatchHubOptions } from "./watch.ts";

/** An Emitter handler over hand-filled caches, served on a loopback port. */
function serveHub(options: WatchHubOptions = {}) {
  const { upstream, view } = exportedView();
  const encodes: EventType[] = [];
  const hub = new WatchHub(view, { onEncode: (type) => encodes.push(type), ...options });
  const handler = createHandler({ view, hub, ready: () => view.started });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  const url = `http://127.0.0.1:${server.addr.port}`;
  return {
    upstream,
    view,
    hub,
    url,
    encodes,
    async [Symbol.asyncDispose]() {
      hub.close();
      await server.shutdown();
    },
  };
}

/** Reads `count` events of a watch response, then cancels it. */
async function read(response: Response, count: number): Promise<WatchEvent<Service>[]> {
  const out: WatchEvent<Service>[] = [];
  for await (const event of decodeWatchEvents<Service>(response.body as ReadableStream)) {
    out.push(event);
    if (out.length === count) break;
  }
  return out;
}

Deno.test("a change fanned out to many watchers is encoded once", async () => {
  await using served = serveHub();
  const { upstream, view, url, encodes } = served;
  for (let index = 0; index < 10; index++) upstream.service("shop", `s${index}`, { export: "yes" });
  view.start();
  const watchers = 20;
  const starts = await Promise.all(
    Array.from({ length: watchers }, () => fetch(`${url}/api/v1/namespaces/shop/services?watch=1`)),
  );
  const initial = await Promise.all(starts.map((response) => read(response, 10)));
  ok(initial.every((events) => events.length === 10 && events[0]?.type === "ADDED"));
  equal(encodes.filter((type) => type === "ADDED").length, 10, "one line per object, shared");

  const from = view.resourceVersion;
  const resumed = await Promise.all(
    Array.from(
      { length: watchers },
      () => fetch(`${url}/api/v1/namespaces/shop/services?watch=1&resourceVersion=${from}`),
    ),
  );
  await poll(() => served.hub.size === watchers || undefined, { description: "every watch" });
  for (let index = 0; index < 5; index++) {
    upstream.service("shop", `s${index}`, { export: "yes", round: "2" });
  }
  const changes = await Promise.all(resumed.map((response) => read(response, 5)));
  ok(changes.every((events) => events.every((event) => event.type === "MODIFIED")));
  equal(encodes.filter((type) => type === "MODIFIED").length, 5, "one line per change, shared");
});

Deno.test("a starting state larger than the send buffer reaches a reader whole", async () => {
  await using served = serveHub({ bufferBytes: 4096 });
  const { upstream, view, url, hub } = served;
  const note = "x".repeat(200);
  for (let index = 0; index < 300; index++) {
    upstream.service("shop", `s${String(index).padStart(3, "0")}`, { export: "yes" }, {
      spec: { externalName: note },
    });
  }
  view.start();
  const response = await fetch(
    `${url}/api/v1/services?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
  );
  const events = await read(response, 301);
  equal(events.filter((event) => event.type === "ADDED").length, 300);
  deepStrictEqual(events[300]?.object.metadata?.annotations, {
    "k8s.io/initial-events-end": "true",
  });
  await poll(() => hub.size === 0 || undefined, { description: "the cancel to close the watch" });
});

Deno.test("a watcher that stops reading is closed once its queued changes pass the bound", async () => {
  const slow: string[] = [];
  await using served = serveHub({
    bufferBytes: 64 * 1024,
    onSlowWatcher: (resource) => slow.push(resource.kind),
  });
  const { upstream, view, url, hub } = served;
  upstream.service("shop", "big", { export: "yes" });
  view.start();
  // A client that sends its request and never reads: the socket buffers
  // fill, then the Emitter's queue, then the bound closes the watch.
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  try {
    await conn.write(new TextEncoder().encode(
      `GET /api/v1/services?watch=1&resourceVersion=${view.resourceVersion} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`,
    ));
    await poll(() => hub.size === 1 || undefined, { description: "the watch to open" });
    const note = "y".repeat(256 * 1024);
    let changes = 0;
    // Loopback socket buffers hold a few MiB; 200 changes of 256 KiB are 50 MiB.
    while (hub.size > 0 && changes < 200) {
      upstream.service("shop", "big", { export: "yes" }, {
        spec: { externalName: `${changes}${note}` },
      });
      changes++;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    equal(hub.size, 0, `still open after ${changes} changes`);
    deepStrictEqual(slow, ["services"]);
  } finally {
    conn.close();
  }
});
