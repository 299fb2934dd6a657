import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { ConfigMap } from "kubernetes-types/core/v1.d.ts";
import { type Cluster, withClusters } from "../../tests/cluster/mod.ts";
import { adminConfig } from "../../tests/support/client_configs.ts";
import { poll } from "../../tests/support/poll.ts";
import { Informer, type InformerPhase } from "./informer.ts";
import { objectKey } from "./object.ts";
import { namespaces } from "./resource.ts";
import { RestClient } from "./rest.ts";
import { configMaps } from "../../tests/support/resources.ts";
import { Transport } from "./transport.ts";

/** What handlers saw, replayed into a map: it must equal the cache and the server. */
class Recorder {
  readonly objects = new Map<string, string>();
  readonly deletions: { key: string; value: string | undefined; stateUnknown: boolean }[] = [];
  readonly errors: [InformerPhase, string][] = [];

  attach(informer: Informer<ConfigMap>): void {
    informer.addEventHandlers({
      onAdd: (object) => this.objects.set(objectKey(object), object.data?.["value"] ?? ""),
      onUpdate: (_, object) => this.objects.set(objectKey(object), object.data?.["value"] ?? ""),
      onDelete: (object, stateUnknown) => {
        this.objects.delete(objectKey(object));
        this.deletions.push({
          key: objectKey(object),
          value: object.data?.["value"],
          stateUnknown,
        });
      },
    });
  }
}

async function serverState(rest: RestClient, namespace: string): Promise<Map<string, string>> {
  const list = await rest.list<ConfigMap>(configMaps, { namespace });
  return new Map(list.items.map((item) => [objectKey(item), item.data?.["value"] ?? ""]));
}

function cacheState(informer: Informer<ConfigMap>): Map<string, string> {
  return new Map(
    informer.store.list().map((item) => [objectKey(item), item.data?.["value"] ?? ""]),
  );
}

function sorted(map: Map<string, string>): [string, string][] {
  return [...map].sort(([a], [b]) => a.localeCompare(b));
}

async function converges(
  informer: Informer<ConfigMap>,
  recorder: Recorder,
  rest: RestClient,
  namespace: string,
) {
  await poll(async () => {
    const server = sorted(await serverState(rest, namespace));
    const cache = sorted(cacheState(informer));
    const seen = sorted(recorder.objects);
    return JSON.stringify(server) === JSON.stringify(cache) &&
        JSON.stringify(cache) === JSON.stringify(seen)
      ? true
      : undefined;
  }, { description: `the ${namespace} informer to equal the server`, timeoutMs: 30_000 });
}

function startInformer(
  rest: RestClient,
  namespace: string,
  recorder: Recorder,
  options: { minWatchTimeoutSeconds?: number; admit?: (object: ConfigMap) => boolean } = {},
) {
  const informer = new Informer<ConfigMap>(rest, {
    ...options,
    type: configMaps,
    namespace,
    pageSize: 7,
    backoff: { initialMs: 50, maxMs: 500 },
    onError: (error, phase) => recorder.errors.push([phase, String(error)]),
  });
  recorder.attach(informer);
  const controller = new AbortController();
  const running = informer.run(controller.signal);
  return {
    informer,
    stop: async () => {
      controller.abort();
      await running;
    },
  };
}

async function concurrentWriters(cluster: Cluster): Promise<void> {
  using transport = new Transport(adminConfig(cluster));
  const rest = new RestClient(transport);
  const namespace = "burst";
  await rest.create(namespaces, { metadata: { name: namespace } });
  for (let index = 0; index < 15; index++) {
    await rest.create<ConfigMap>(configMaps, {
      metadata: { name: `pre-${index}`, namespace },
      data: { value: "0" },
    });
  }
  const recorder = new Recorder();
  const { informer, stop } = startInformer(rest, namespace, recorder);
  try {
    await informer.synced();
    ok(informer.hasSynced);
    equal(informer.store.size, 15, "the first list (3 pages of 7) is complete");

    // Three writers race with the watch: creates, updates and deletes.
    await Promise.all([0, 1, 2].map(async (writer) => {
      for (let step = 0; step < 20; step++) {
        const name = `w${writer}-${step % 7}`;
        const exists = await rest.get(configMaps, name, { namespace }).then(
          () => true,
          () => false,
        );
        if (!exists) {
          await rest.create<ConfigMap>(configMaps, {
            metadata: { name, namespace },
            data: { value: `${step}` },
          });
        } else if (step % 3 === 0) {
          await rest.delete(configMaps, name, { namespace });
        } else {
          await rest.patch(configMaps, name, { data: { value: `${step}` } }, {
            namespace,
            patchType: "merge",
          });
        }
      }
      await rest.delete(configMaps, `pre-${writer}`, { namespace });
      await rest.patch(configMaps, `pre-${writer + 5}`, { data: { value: "late" } }, {
        namespace,
        patchType: "merge",
      });
    }));
    await converges(informer, recorder, rest, namespace);
    deepStrictEqual(recorder.errors, []);
    ok(informer.stats.events >= 60, `events applied: ${informer.stats.events}`);
    equal(informer.stats.lists, 1, "no relist was needed");
  } finally {
    await stop();
  }
}

async function relistAfterCompaction(cluster: Cluster): Promise<void> {
  using transport = new Transport(adminConfig(cluster));
  const rest = new RestClient(transport);
  const namespace = "relist";
  await rest.create(namespaces, { metadata: { name: namespace } });
  for (const name of ["keep", "change", "vanish"]) {
    await rest.create<ConfigMap>(configMaps, {
      metadata: { name, namespace },
      data: { value: `${name}-1` },
    });
  }
  const recorder = new Recorder();
  const first = startInformer(rest, namespace, recorder);
  await first.informer.synced();
  await first.stop();

  // While nobody watches: a delete, an update, a create, then compaction
  // past the informer's version (this cluster has no watch cache).
  await rest.delete(configMaps, "vanish", { namespace });
  await rest.patch(configMaps, "change", { data: { value: "change-2" } }, {
    namespace,
    patchType: "merge",
  });
  await rest.create<ConfigMap>(configMaps, {
    metadata: { name: "new", namespace },
    data: { value: "new-1" },
  });
  await cluster.compact();

  const controller = new AbortController();
  const running = first.informer.run(controller.signal);
  try {
    await converges(first.informer, recorder, rest, namespace);
    deepStrictEqual(recorder.deletions, [{
      key: "relist/vanish",
      value: "vanish-1",
      stateUnknown: true,
    }]);
    equal(first.informer.stats.lists, 2, "the 410 caused exactly one relist");
    ok(
      recorder.errors.some(([phase, error]) => phase === "watch" && error.includes("410")),
      String(recorder.errors),
    );
  } finally {
    controller.abort();
    await running;
  }
}

async function apiserverRestart(cluster: Cluster): Promise<void> {
  using transport = new Transport(adminConfig(cluster), { timeoutMs: 2_000 });
  const rest = new RestClient(transport);
  const namespace = "restart";
  await rest.create(namespaces, { metadata: { name: namespace } });
  await rest.create<ConfigMap>(configMaps, {
    metadata: { name: "before", namespace },
    data: { value: "1" },
  });
  const recorder = new Recorder();
  const { informer, stop } = startInformer(rest, namespace, recorder);
  try {
    await informer.synced();
    await cluster.stopApiserver();
    const outage = Date.now();
    await poll(() => informer.stats.failures >= 2 ? true : undefined, {
      description: "the informer to notice the outage",
      timeoutMs: 15_000,
    });
    const failuresDuringOutage = informer.stats.failures;
    await cluster.startApiserver();
    const seconds = (Date.now() - outage) / 1000;
    // Backoff starts at 50 ms and doubles to 500 ms: a tight loop would make hundreds.
    ok(
      failuresDuringOutage < 5 + seconds * 4,
      `${failuresDuringOutage} failures in ${seconds.toFixed(1)} s`,
    );
    await rest.create<ConfigMap>(configMaps, {
      metadata: { name: "after", namespace },
      data: { value: "2" },
    });
    await converges(informer, recorder, rest, namespace);
    equal(informer.store.get("restart/after")?.data?.["value"], "2");
  } finally {
    await stop();
  }
}

async function bookmarks(cluster: Cluster): Promise<void> {
  using transport = new Transport(adminConfig(cluster));
  const rest = new RestClient(transport);
  const namespace = "bookmarks";
  await rest.create(namespaces, { metadata: { name: namespace } });
  const recorder = new Recorder();
  // kube-apiserver sends a bookmark shortly before a watch's timeout; short
  // watches make that happen within seconds.
  const { informer, stop } = startInformer(rest, namespace, recorder, {
    minWatchTimeoutSeconds: 3,
  });
  try {
    await informer.synced();
    const start = informer.resourceVersion;
    // Writes to the same resource elsewhere move the watch cache's version;
    // only a bookmark can carry it to this namespace's watch. The apiserver
    // bookmarks a watch only with a version it reached while that watch was
    // open, so the writes go on until one lands during a watch.
    await poll(async () => {
      if (Number(informer.resourceVersion) > Number(start)) return true;
      await rest.create<ConfigMap>(configMaps, {
        metadata: { generateName: "elsewhere-", namespace: "burst" },
      });
      return undefined;
    }, {
      description: "a bookmark to advance the informer's resourceVersion",
      timeoutMs: 20_000,
      intervalMs: 500,
    });
    equal(informer.store.size, 0);
    equal(informer.stats.events, 0);
    equal(informer.stats.lists, 1);
  } finally {
    await stop();
  }
}

/**
 * An `admit` that starts admitting what it refused: `fill()` brings the
 * selected objects in as additions, leaves cached (newer) ones alone, and
 * `forget()` drops them again as deletions.
 */
async function fillAndForget(cluster: Cluster): Promise<void> {
  using transport = new Transport(adminConfig(cluster));
  const rest = new RestClient(transport);
  const namespace = "fill";
  await rest.create(namespaces, { metadata: { name: namespace } });
  const create = (name: string, group: string, value: string) =>
    rest.create<ConfigMap>(configMaps, {
      metadata: { name, namespace, labels: { group } },
      data: { value },
    });
  await create("a1", "a", "1");
  await create("a2", "a", "1");
  await create("b1", "b", "1");
  const wanted = new Set<string>();
  const recorder = new Recorder();
  const { informer, stop } = startInformer(rest, namespace, recorder, {
    admit: (object) => wanted.has(object.metadata?.labels?.["group"] ?? ""),
  });
  try {
    await informer.synced();
    equal(informer.store.size, 0);
    wanted.add("a");
    // A change seen by the watch once admitted is newer than what the list may return.
    await rest.patch<ConfigMap>(configMaps, "a2", { data: { value: "2" } }, {
      namespace,
      patchType: "merge",
    });
    await poll(() => informer.store.get(`${namespace}/a2`) || undefined, {
      description: "a2 cached from the watch",
    });
    await informer.fill({ namespace, labelSelector: "group=a" });
    deepStrictEqual(sorted(cacheState(informer)), [[`${namespace}/a1`, "1"], [
      `${namespace}/a2`,
      "2",
    ]]);
    deepStrictEqual(sorted(recorder.objects), sorted(cacheState(informer)));
    wanted.delete("a");
    informer.forget([`${namespace}/a1`, `${namespace}/a2`, `${namespace}/absent`]);
    equal(informer.store.size, 0);
    deepStrictEqual(recorder.deletions.map((each) => [each.key, each.stateUnknown]), [
      [`${namespace}/a1`, false],
      [`${namespace}/a2`, false],
    ]);
    deepStrictEqual(recorder.errors, []);
  } finally {
    await stop();
  }
}

Deno.test("Informer against a real apiserver", async (t) => {
  const specs = [{ name: "informer" }, { name: "informer-nocache", watchCache: false }];
  await withClusters(specs, async ([cached, uncached]) => {
    if (!cached || !uncached) throw new Error("clusters missing");
    await t.step(
      "its cache equals the server after concurrent creates, updates and deletes",
      () => concurrentWriters(cached),
    );
    await t.step(
      "a 410 after compaction relists and reports vanished objects as deleted",
      () => relistAfterCompaction(uncached),
    );
    await t.step(
      "it backs off while the apiserver is down and recovers after a restart",
      () => apiserverRestart(cached),
    );
    await t.step("bookmarks advance its resourceVersion without events", () => bookmarks(cached));
    await t.step(
      "fill() caches what a widened admit now selects, forget() drops it",
      () => fillAndForget(cached),
    );
  });
});
