/**
 * The informer against servers that misbehave in ways a real apiserver
 * cannot be made to on demand: real HTTP servers on loopback that split,
 * truncate or bloat watch streams, fail and then recover, or send lists
 * that never end.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { ConfigMap } from "kubernetes-types/core/v1.d.ts";
import { configFromUrl } from "./config/client_config.ts";
import { Informer, type InformerOptions } from "./informer.ts";
import { RestClient } from "./rest.ts";
import { configMaps } from "../../tests/support/resources.ts";
import { Transport } from "./transport.ts";
import { holds } from "../../tests/support/holds.ts";
import { delay, poll } from "../../tests/support/poll.ts";

const encoder = new TextEncoder();

function configMap(name: string, resourceVersion: string): ConfigMap {
  return { metadata: { name, namespace: "x", resourceVersion }, data: { value: name } };
}

function event(type: string, object: unknown): string {
  return JSON.stringify({ type, object }) + "\n";
}

/** A watch response whose body the test writes to; closing ends the watch. */
function streamed(
  write: (send: (text: string) => Promise<void>) => Promise<"close" | "hold">,
): Response {
  let closed = false;
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const outcome = await write(async (text) => {
        if (!closed) controller.enqueue(encoder.encode(text));
        await delay(1);
      });
      if (outcome === "close" && !closed) controller.close();
    },
    cancel() {
      closed = true;
    },
  });
  return new Response(body, { headers: { "content-type": "application/json" } });
}

interface Seen {
  path: string;
  watch: boolean;
  resourceVersion: string | null;
  continue: string | null;
  at: number;
}

/** Runs an informer against `handler` and hands both to `body`. */
async function withFakeServer(
  handler: (request: Request, seen: Seen[]) => Response | Promise<Response>,
  body: (informer: Informer<ConfigMap>, seen: Seen[], errors: string[]) => Promise<void>,
  options: Partial<InformerOptions<ConfigMap>> = {},
): Promise<void> {
  const seen: Seen[] = [];
  const errors: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const url = new URL(request.url);
    seen.push({
      path: url.pathname,
      watch: url.searchParams.get("watch") === "true",
      resourceVersion: url.searchParams.get("resourceVersion"),
      continue: url.searchParams.get("continue"),
      at: performance.now(),
    });
    return handler(request, seen);
  });
  const transport = new Transport(configFromUrl(`http://127.0.0.1:${server.addr.port}`));
  const informer = new Informer<ConfigMap>(new RestClient(transport), {
    type: configMaps,
    backoff: { initialMs: 40, maxMs: 1000, random: () => 0 },
    onError: (error) => errors.push(String(error)),
    ...options,
  });
  const controller = new AbortController();
  const running = informer.run(controller.signal);
  try {
    await body(informer, seen, errors);
  } finally {
    controller.abort();
    await running;
    transport.close();
    await server.shutdown();
  }
}

const emptyList = (resourceVersion: string) =>
  Response.json({ kind: "ConfigMapList", metadata: { resourceVersion }, items: [] });

Deno.test("Informer decodes a watch event delivered one byte at a time", async () => {
  const text = event("ADDED", configMap("slow", "2"));
  await withFakeServer((request) => {
    if (!new URL(request.url).searchParams.has("watch")) return emptyList("1");
    return streamed(async (send) => {
      for (const character of text) await send(character);
      return "hold";
    });
  }, async (informer, _seen, errors) => {
    await poll(() => informer.store.get("x/slow"), { description: "the slowly sent object" });
    equal(informer.resourceVersion, "2");
    deepStrictEqual(errors, []);
  });
});

Deno.test("Informer resumes from its version after an over-long line, without relisting", async () => {
  await withFakeServer((request, seen) => {
    if (!new URL(request.url).searchParams.has("watch")) return emptyList("1");
    const watches = seen.filter((entry) => entry.watch).length;
    return streamed(async (send) => {
      if (watches === 1) {
        await send(event("ADDED", { ...configMap("huge", "2"), data: { blob: "x".repeat(2000) } }));
        return "hold";
      }
      await send(event("ADDED", configMap("fine", "3")));
      return "hold";
    });
  }, async (informer, seen, errors) => {
    await poll(() => informer.store.get("x/fine"), {
      description: "the object after the bad line",
    });
    equal(informer.store.get("x/huge"), undefined);
    equal(informer.stats.lists, 1);
    deepStrictEqual(seen.filter((entry) => entry.watch).map((entry) => entry.resourceVersion), [
      "1",
      "1",
    ]);
    ok(
      errors[0]?.includes("exceeds 'maxLineBytes' of 1000: an event goes on past 1000 bytes"),
      errors[0],
    );
  }, { maxLineBytes: 1000 });
});

Deno.test("Informer resumes after a stream closed in the middle of an event", async () => {
  const whole = event("ADDED", configMap("cut", "2"));
  await withFakeServer((request, seen) => {
    if (!new URL(request.url).searchParams.has("watch")) return emptyList("1");
    const watches = seen.filter((entry) => entry.watch).length;
    return streamed(async (send) => {
      if (watches === 1) {
        await send(whole.slice(0, 25));
        return "close";
      }
      await send(whole);
      return "hold";
    });
  }, async (informer, seen, errors) => {
    await poll(() => informer.store.get("x/cut"), { description: "the object sent again whole" });
    equal(informer.stats.lists, 1);
    deepStrictEqual(seen.filter((entry) => entry.watch).map((entry) => entry.resourceVersion), [
      "1",
      "1",
    ]);
    ok(errors[0]?.includes("it ended inside an event after 25 bytes"), errors[0]);
  });
});

Deno.test("Informer backs off exponentially while a server answers 500, then recovers", async () => {
  await withFakeServer((request, seen) => {
    const watch = new URL(request.url).searchParams.has("watch");
    if (!watch && seen.filter((entry) => !entry.watch).length <= 4) {
      return Response.json({
        kind: "Status",
        code: 500,
        reason: "InternalError",
        message: "etcd is sad",
      }, {
        status: 500,
      });
    }
    if (!watch) {
      return Response.json({
        kind: "ConfigMapList",
        metadata: { resourceVersion: "5" },
        items: [configMap("a", "5")],
      });
    }
    return streamed(() => Promise.resolve("hold"));
  }, async (informer, seen, errors) => {
    await informer.synced();
    const lists = seen.filter((entry) => !entry.watch).map((entry) => entry.at);
    equal(lists.length, 5);
    const gaps = lists.slice(1).map((at, index) => at - (lists[index] as number));
    // Jitter is off: the waits are 40, 80, 160 and 320 ms.
    [40, 80, 160, 320].forEach((expected, index) => {
      const gap = gaps[index] as number;
      ok(
        gap >= expected - 2 && gap < expected * 1.5 + 30,
        `gap ${index}: ${gap.toFixed(0)} ms, expected ${expected}`,
      );
    });
    equal(errors.length, 4);
    ok(
      errors.every((error) => error.includes("500 InternalError: etcd is sad")),
      errors.join("\n"),
    );
    deepStrictEqual(informer.store.keys(), ["x/a"]);
  });
});

Deno.test("Informer does not loop tightly on a server that ends every watch at once", async () => {
  await withFakeServer((request) => {
    if (!new URL(request.url).searchParams.has("watch")) return emptyList("1");
    return streamed(() => Promise.resolve("close"));
  }, async (informer, seen) => {
    await informer.synced();
    const watches = () => seen.filter((entry) => entry.watch).length;
    // 40, 80, 160, 320 ms of backoff fit in a second: five watches at most.
    await holds(() => watches() <= 6 && informer.stats.lists === 1, {
      description: "at most 6 watches and a single list",
      forMs: 1000,
    });
    ok(watches() >= 3, `${watches()} watches in 1 s`);
    equal(informer.stats.lists, 1);
  });
});

const isList = (request: Request) => !new URL(request.url).searchParams.has("watch");
const lists = (seen: Seen[]) => seen.filter((entry) => !entry.watch);

/** A watch answered by one 410 ERROR event, so the informer relists. */
const expired = () =>
  streamed(async (send) => {
    await send(event("ERROR", { kind: "Status", code: 410, reason: "Expired", message: "gone" }));
    return "close";
  });

Deno.test("Informer stops a list whose pages never end at maxListPages and keeps its cache", async () => {
  await withFakeServer((request, seen) => {
    if (!isList(request)) return expired();
    const token = new URL(request.url).searchParams.get("continue");
    // The first list is whole; every later one has a next page, forever.
    if (lists(seen).length === 1) {
      return Response.json({
        metadata: { resourceVersion: "5" },
        items: [configMap("a", "4"), configMap("b", "5")],
      });
    }
    const page = Number(token ?? "0") + 1;
    return Response.json({
      metadata: { resourceVersion: "6", continue: String(page) },
      items: [configMap(`page-${page}`, "6")],
    });
  }, async (informer, seen, errors) => {
    await poll(() => errors.find((error) => error.includes("maxListPages")), {
      description: "the list refused at its page cap",
    });
    // One whole list, then lists of exactly 5 pages each: no sixth request.
    const attempts = lists(seen).map((entry) => entry.continue).join(",").split(",,");
    ok(attempts.length >= 2, attempts.join(" | "));
    deepStrictEqual(
      attempts.slice(1, -1).map((pages) => pages.split(",").length),
      attempts.slice(1, -1).map(() => 5),
    );
    equal(attempts[1], "1,2,3,4");
    ok(
      errors.some((error) =>
        /LimitExceededError: GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/configmaps\?limit=500&continue=5 exceeds 'maxListPages' of 5: the list goes on after 5 pages/
          .test(error)
      ),
      errors.join("\n"),
    );
    // The failed relist replaced nothing.
    ok(informer.hasSynced);
    deepStrictEqual(informer.store.keys().sort(), ["x/a", "x/b"]);
    equal(informer.stats.lists, 1);
  }, { maxListPages: 5 });
});

/** A list body that never ends, and the bytes it sent to each request. */
function endlessBody(sent: number[]): Response {
  const index = sent.push(0) - 1;
  const item = encoder.encode(JSON.stringify(configMap("x".repeat(200), "1")) + ",");
  const chunk = new Uint8Array(item.length * 64);
  for (let at = 0; at < 64; at++) chunk.set(item, at * item.length);
  let started = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const bytes = started ? chunk : encoder.encode('{"metadata":{},"items":[');
      started = true;
      sent[index] = (sent[index] ?? 0) + bytes.length;
      controller.enqueue(bytes);
    },
  });
  return new Response(body, { headers: { "content-type": "application/json" } });
}

Deno.test("Informer stops reading a list body that never ends at maxListBytes", async () => {
  const sent: number[] = [];
  const maxListBytes = 1024 * 1024;
  await withFakeServer((request) => {
    if (!isList(request)) return streamed(() => Promise.resolve("hold"));
    return endlessBody(sent);
  }, async (informer, _seen, errors) => {
    await poll(() => errors.length >= 2 ? errors : undefined, {
      description: "two lists refused at their byte cap",
    });
    for (const error of errors.slice(0, 2)) {
      ok(
        /GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/configmaps\?limit=500 exceeds 'maxListBytes' of 1048576: the list goes on past 1048576 bytes, in page 1/
          .test(error),
        error,
      );
    }
    // What the client read is bounded by the cap; what the server managed to
    // send besides sits in socket buffers, a few MiB at most, never more.
    for (const bytes of sent.slice(0, 2)) ok(bytes < maxListBytes + 16 * 1024 * 1024, `${bytes}`);
    equal(informer.hasSynced, false);
    equal(informer.store.size, 0);
  }, { maxListBytes });
});

Deno.test("Informer refuses a list and a watch that would hold more than maxObjects", async () => {
  await withFakeServer((request, seen) => {
    if (isList(request)) {
      // The first list has one object too many; the second fits.
      const items = ["a", "b", "c", "d"].slice(0, lists(seen).length === 1 ? 4 : 2);
      return Response.json({
        metadata: { resourceVersion: "5" },
        items: items.map((name) => configMap(name, "5")),
      });
    }
    return streamed(async (send) => {
      await send(event("MODIFIED", configMap("a", "6")));
      await send(event("ADDED", configMap("c", "7")));
      await send(event("ADDED", configMap("d", "8")));
      return "hold";
    });
  }, async (informer, seen, errors) => {
    await poll(() => errors.find((error) => error.includes("'maxObjects'")), {
      description: "the watch refused at the object cap",
    });
    ok(
      /exceeds 'maxListItems' of 3: the list holds more than 3 objects/.test(errors[0] ?? ""),
      errors[0],
    );
    ok(
      /WATCH http:\/\/127\.0\.0\.1:\d+\/api\/v1\/configmaps exceeds 'maxObjects' of 3: x\/d would be object 4 in the cache/
        .test(errors[1] ?? ""),
      errors[1],
    );
    deepStrictEqual(informer.store.keys().sort(), ["x/a", "x/b", "x/c"]);
    equal(informer.resourceVersion, "7");
    // The watch resumes from the last event applied.
    await poll(() => seen.filter((entry) => entry.watch).length >= 2 || undefined, {
      description: "a resumed watch",
    });
    equal(seen.filter((entry) => entry.watch)[1]?.resourceVersion, "7");
  }, { maxObjects: 3 });
});

Deno.test("Informer caches only admitted objects and keeps the version it had of a refused one", async () => {
  const valid = (object: ConfigMap) => typeof object.data?.["value"] === "string";
  const bad = (name: unknown, resourceVersion: string) =>
    ({
      metadata: { name, namespace: "x", resourceVersion },
      data: { value: 7 },
    }) as unknown as ConfigMap;
  const added: string[] = [];
  await withFakeServer((request, seen) => {
    if (isList(request)) {
      const second = lists(seen).length > 1;
      return Response.json({
        metadata: { resourceVersion: second ? "9" : "1" },
        items: second ? [bad("a", "9"), bad(["b"], "9")] : [configMap("a", "1"), bad(42, "1")],
      });
    }
    const watches = seen.filter((entry) => entry.watch).length;
    return streamed(async (send) => {
      if (watches === 1) {
        await send(event("MODIFIED", bad("a", "2")));
        await send(event("ADDED", bad("c", "3")));
        await send(event("ADDED", configMap("d", "4")));
        await send(
          event("ERROR", { kind: "Status", code: 410, reason: "Expired", message: "old" }),
        );
        return "close";
      }
      await send(event("DELETED", bad("a", "10")));
      return "hold";
    });
  }, async (informer, _seen, errors) => {
    informer.addEventHandlers({ onAdd: (object) => added.push(object.metadata?.name as string) });
    await poll(() => informer.stats.lists === 2 && !informer.store.get("x/a") ? true : undefined, {
      description: "the deletion of a, applied by key",
    });
    // a kept its admitted version through a refused update and a relist;
    // d vanished at the relist; the refused c, 42 and ["b"] never came in.
    deepStrictEqual(added, ["a", "d"]);
    deepStrictEqual(informer.store.keys(), []);
    deepStrictEqual(errors, []);
  }, { admit: valid });
});

Deno.test("Informer takes a watch that went silent past idleWatchMs as broken and resumes it without relisting", async () => {
  await withFakeServer((request, seen) => {
    if (!new URL(request.url).searchParams.has("watch")) return emptyList("1");
    const watches = seen.filter((entry) => entry.watch).length;
    return streamed(async (send) => {
      // Deno.serve sends a streamed answer's headers with its first bytes.
      if (watches === 1) await send(event("BOOKMARK", { metadata: { resourceVersion: "1" } }));
      else await send(event("ADDED", configMap("after", "2")));
      return "hold";
    });
  }, async (informer, seen, errors) => {
    await poll(() => errors.length > 0 || undefined, { description: "the silent watch's failure" });
    const lost = informer.health;
    equal(lost.connected, false);
    ok(lost.lostSinceMs !== undefined, "contact lost when the bound passed");
    ok(
      /WATCH http:\/\/127\.0\.0\.1:\d+\/api\/v1\/configmaps received nothing for 0\.3 s/.test(
        errors[0] ?? "",
      ),
      errors[0],
    );
    await poll(() => informer.store.get("x/after"), { description: "the event of the next watch" });
    equal(informer.stats.lists, 1);
    deepStrictEqual(seen.filter((entry) => entry.watch).map((entry) => entry.resourceVersion), [
      "1",
      "1",
    ]);
    equal(informer.health.lostSinceMs, undefined);
  }, { idleWatchMs: 300, backoff: { initialMs: 1_500, random: () => 0 } });
});

Deno.test("Informer ends a watch whose answer does not come within openTimeoutMs", async () => {
  await withFakeServer((request, seen) => {
    if (!new URL(request.url).searchParams.has("watch")) return emptyList("1");
    if (seen.filter((entry) => entry.watch).length > 1) {
      return streamed(async (send) => {
        await send(event("ADDED", configMap("answered", "2")));
        return "hold";
      });
    }
    // No headers until the client goes.
    return new Promise<Response>((resolve) =>
      request.signal.addEventListener("abort", () => resolve(new Response(null, { status: 500 })))
    );
  }, async (informer, _seen, errors) => {
    await poll(() => informer.store.get("x/answered"), { description: "the second watch's event" });
    ok(errors[0]?.includes("configmaps got no answer within 0.3 s"), errors[0]);
  }, { openTimeoutMs: 300 });
});

Deno.test("Informer.retryNow() cuts a backoff short", async () => {
  let failing = true;
  await withFakeServer((request) => {
    if (failing) return new Response("down", { status: 503 });
    if (!new URL(request.url).searchParams.has("watch")) return emptyList("1");
    return streamed(() => Promise.resolve("hold"));
  }, async (informer, seen) => {
    await poll(() => seen.length > 0 || undefined, { description: "the first list" });
    // The backoff is an hour: only retryNow() can bring the next attempt.
    failing = false;
    await holds(() => seen.length === 1, { forMs: 300, description: "no retry while backing off" });
    informer.retryNow();
    await poll(() => informer.hasSynced || undefined, { description: "the list retried at once" });
  }, { backoff: { initialMs: 3_600_000, maxMs: 3_600_000, random: () => 0 } });
});

Deno.test("Informer relists at once when the watch resuming after a failure finds its version gone", async () => {
  await withFakeServer((request, seen) => {
    if (!new URL(request.url).searchParams.has("watch")) {
      return emptyList(seen.filter((entry) => !entry.watch).length === 1 ? "1" : "9");
    }
    const watches = seen.filter((entry) => entry.watch).length;
    return streamed(async (send) => {
      if (watches === 1) {
        await send(event("ADDED", configMap("before", "2")));
        await send(`{"type":"ADD`); // Broken: a failure, then the backoff.
        return "close";
      }
      if (watches === 2) {
        // A restarted server whose history begins after version 2.
        await send(
          event("ERROR", { kind: "Status", code: 410, reason: "Expired", message: "old" }),
        );
        return "close";
      }
      await send(event("ADDED", configMap("after", "10")));
      return "hold";
    });
  }, async (informer, seen, errors) => {
    await poll(() => errors.length > 0 || undefined, { description: "the broken watch" });
    // The backoff is an hour: the retry is cut short once, by hand.
    informer.retryNow();
    await poll(() => informer.store.get("x/after"), { description: "the watch after the relist" });
    equal(informer.stats.lists, 2);
    deepStrictEqual(seen.filter((entry) => entry.watch).map((entry) => entry.resourceVersion), [
      "1",
      "2",
      "9",
    ]);
  }, { backoff: { initialMs: 3_600_000, maxMs: 3_600_000, random: () => 0 } });
});
