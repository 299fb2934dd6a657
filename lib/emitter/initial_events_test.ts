/**
 * Watches of an Emitter in front of a real cluster that start from the
 * current state (no `resourceVersion`, `resourceVersion=0`, or
 * `sendInitialEvents=true`): their synthetic ADDED events are exactly the
 * served objects their label and field selectors select.
 */
import { deepStrictEqual, equal } from "node:assert/strict";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import { type Cluster, withClusters } from "../../tests/cluster/mod.ts";
import { type ApiList, fetcherAt, getJson } from "../../tests/support/api_json.ts";
import { runningEmitter } from "../../tests/support/running_emitter.ts";
import { findWatchEvent, type WatchEvent } from "../../tests/support/watch_events.ts";

/**
 * Selector-less Services (no controller writes Endpoints or slices of
 * them, so the Emitter's version stands still while the test reads).
 */
const fixtures: [string, string, Record<string, string>][] = [
  ["shop", "web", { export: "yes", tier: "front" }],
  ["shop", "api", { export: "yes", tier: "back" }],
  ["shop", "cart", { export: "yes", tier: "front" }],
  // Selected by tier=front, but not exported: never served.
  ["shop", "db", { tier: "front" }],
  ["other", "web", { export: "yes", tier: "back" }],
];

async function seed(cluster: Cluster): Promise<void> {
  const items = fixtures.map(([namespace, name, labels]) => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace, labels },
    spec: { ports: [{ name: "http", port: 80 }] },
  }));
  await cluster.kubectl("create", "namespace", "shop");
  await cluster.kubectl("create", "namespace", "other");
  await cluster.kubectlWithInput(
    JSON.stringify({ apiVersion: "v1", kind: "List", items }),
    "apply",
    "-f",
    "-",
  );
}

/** The events of a watch up to and including its first BOOKMARK. */
async function untilBookmark(url: string): Promise<WatchEvent<Service>[]> {
  const events: WatchEvent<Service>[] = [];
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  equal(response.status, 200, url);
  await findWatchEvent<Service>(response, (event) => {
    events.push(event);
    return event.type === "BOOKMARK";
  });
  return events;
}

const keyOf = (event: WatchEvent<Service>) =>
  `${event.object.metadata?.namespace}/${event.object.metadata?.name}`;

/** Selections, as query parameters, and the keys of the Services each selects. */
const selections: [string, string[]][] = [
  ["labelSelector=tier%3Dfront", ["shop/cart", "shop/web"]],
  ["labelSelector=tier%21%3Dfront", ["other/web", "shop/api"]],
  ["fieldSelector=metadata.name%3Dweb", ["other/web", "shop/web"]],
  ["fieldSelector=metadata.namespace%21%3Dshop", ["other/web"]],
  ["labelSelector=tier%3Dback&fieldSelector=metadata.namespace%3Dshop", ["shop/api"]],
];

Deno.test("an Emitter watch from the current state starts with ADDED events of exactly what its selectors select", async (t) => {
  await withClusters(["emitter-initial"], async ([cluster]) => {
    if (!cluster) throw new Error("no cluster");
    await seed(cluster);
    // Bookmarks every second: the first one follows the starting events.
    await using emitter = await runningEmitter(cluster);
    const all = await getJson<ApiList<Service>>(fetcherAt(emitter.url), "/api/v1/services");
    deepStrictEqual(
      all.items.map((service) => `${service.metadata?.namespace}/${service.metadata?.name}`),
      ["other/web", "shop/api", "shop/cart", "shop/web"],
      "every fixture but db is served, so a selector is what leaves them out",
    );

    for (const [start, name] of [["", "no resourceVersion"], ["resourceVersion=0&", "version 0"]]) {
      await t.step(`a watch with ${name}`, async () => {
        for (const [selection, expected] of selections) {
          const events = await untilBookmark(
            `${emitter.url}/api/v1/services?watch=true&${start}allowWatchBookmarks=true&${selection}`,
          );
          const bookmark = events.pop();
          deepStrictEqual(
            events.map((event) => [event.type, keyOf(event)]),
            expected.map((key) => [
              "ADDED",
              key,
            ]),
            selection,
          );
          // Without sendInitialEvents, the first bookmark is a periodic one.
          equal(bookmark?.object.metadata?.annotations, undefined, selection);
        }
      });
    }

    await t.step("a watch with sendInitialEvents=true", async () => {
      for (const [selection, expected] of selections) {
        const { resourceVersion } = (await getJson<ApiList<Service>>(
          fetcherAt(emitter.url),
          "/api/v1/services",
        )).metadata;
        const events = await untilBookmark(
          `${emitter.url}/api/v1/services?watch=true&sendInitialEvents=true` +
            `&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&${selection}`,
        );
        const bookmark = events.pop();
        deepStrictEqual(
          events.map((event) => [event.type, keyOf(event)]),
          expected.map((key) => [
            "ADDED",
            key,
          ]),
          selection,
        );
        deepStrictEqual(bookmark, {
          type: "BOOKMARK",
          object: {
            apiVersion: "v1",
            kind: "Service",
            metadata: {
              resourceVersion,
              annotations: { "k8s.io/initial-events-end": "true" },
            },
          },
        }, selection);
      }
    });
  });
});
