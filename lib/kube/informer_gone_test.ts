/**
 * The informer's answer to 410 Gone on a watch: a watch that was healthy
 * (events flowed) and then meets 410, in its stream or on resuming, is
 * relisted once and at once; a 410 answering the watch right after a
 * fresh list waits the backoff like any failure.
 *
 * The server is a real HTTP server on loopback, since a real apiserver
 * cannot be made to expire a watch on demand. The informer's clock is a
 * fake that the first two cases never advance: every backoff wait and
 * every watch bound sleeps on it, so a request that comes at all came
 * without waiting for the backoff.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { ConfigMap } from "kubernetes-types/core/v1.d.ts";
import { configFromUrl } from "./config/client_config.ts";
import { Informer } from "./informer.ts";
import { RestClient } from "./rest.ts";
import { Transport } from "./transport.ts";
import { configMaps } from "../../tests/support/resources.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { holds } from "../../tests/support/holds.ts";
import { poll } from "../../tests/support/poll.ts";

const encoder = new TextEncoder();
/** The informer's first backoff delay; jitter is off. */
const backoffMs = 60_000;

function configMap(name: string, resourceVersion: string): ConfigMap {
  return { metadata: { name, namespace: "x", resourceVersion }, data: { value: name } };
}

function list(resourceVersion: string, names: string[]): Response {
  return Response.json({
    kind: "ConfigMapList",
    metadata: { resourceVersion },
    items: names.map((name) => configMap(name, resourceVersion)),
  });
}

const event = (type: string, object: unknown) => JSON.stringify({ type, object }) + "\n";
const gone = { kind: "Status", code: 410, reason: "Expired", message: "too old resource version" };

/** A watch answer sending `lines`, then ending (`close`) or held open until the client goes. */
function watchOf(lines: string[], end: "close" | "hold"): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const line of lines) controller.enqueue(encoder.encode(line));
      if (end === "close") controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "application/json" } });
}

/** One request the server got: `LIST` or `WATCH`, then its resourceVersion if any. */
type Seen = string;

/**
 * Runs an informer on `clock` against `handler` (given the requests so
 * far, this one included) and hands it, the requests and its reported
 * errors to `body`.
 */
async function withServer(
  clock: FakeClock,
  handler: (seen: Seen[]) => Response,
  body: (informer: Informer<ConfigMap>, seen: Seen[], errors: string[]) => Promise<void>,
): Promise<void> {
  const seen: Seen[] = [];
  const errors: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const query = new URL(request.url).searchParams;
    const verb = query.get("watch") === "true" ? "WATCH" : "LIST";
    seen.push([verb, query.get("resourceVersion") ?? []].flat().join(" "));
    return handler(seen);
  });
  const transport = new Transport(configFromUrl(`http://127.0.0.1:${server.addr.port}`));
  const informer = new Informer<ConfigMap>(new RestClient(transport), {
    type: configMaps,
    clock,
    backoff: { initialMs: backoffMs, random: () => 0 },
    onError: (error) => errors.push(String(error)),
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

const lists = (seen: Seen[]) => seen.filter((request) => request === "LIST").length;

Deno.test("Informer relists once and without a backoff wait when a watch that delivered events ends in 410", async () => {
  const clock = new FakeClock(1_000_000);
  await withServer(clock, (seen) => {
    if (seen.at(-1) === "LIST") {
      return lists(seen) === 1 ? list("1", ["a"]) : list("9", ["a", "b", "c"]);
    }
    if (seen.length === 2) {
      return watchOf([event("ADDED", configMap("b", "2")), event("ERROR", gone)], "close");
    }
    return watchOf([], "hold");
  }, async (informer, seen, errors) => {
    await poll(() => informer.store.get("x/c"), {
      description: "the relisted object c",
      timeoutMs: 5_000,
    });
    // Nothing advances the clock: no backoff wait can have ended.
    await poll(() => seen.length >= 4 || undefined, {
      description: "the watch after the relist",
      timeoutMs: 5_000,
    });
    deepStrictEqual(seen, ["LIST", "WATCH 1", "LIST", "WATCH 9"]);
    await holds(() => seen.length === 4, { description: "no request more", forMs: 300 });
    deepStrictEqual(informer.store.keys().sort(), ["x/a", "x/b", "x/c"]);
    deepStrictEqual(informer.stats, { lists: 2, watches: 2, events: 1, failures: 0 });
    deepStrictEqual(errors, []);
  });
});

Deno.test("Informer relists once and without a backoff wait when the watch resuming a healthy one is answered 410", async () => {
  const clock = new FakeClock(1_000_000);
  await withServer(clock, (seen) => {
    if (seen.at(-1) === "LIST") {
      return lists(seen) === 1 ? list("1", ["a"]) : list("9", ["a", "b", "c"]);
    }
    // Events, then a clean end: the watch is resumed from version 2.
    if (seen.length === 2) return watchOf([event("ADDED", configMap("b", "2"))], "close");
    if (seen.length === 3) return Response.json(gone, { status: 410 });
    return watchOf([], "hold");
  }, async (informer, seen, errors) => {
    await poll(() => informer.store.get("x/c"), {
      description: "the relisted object c",
      timeoutMs: 5_000,
    });
    await poll(() => seen.length >= 5 || undefined, {
      description: "the watch after the relist",
      timeoutMs: 5_000,
    });
    deepStrictEqual(seen, ["LIST", "WATCH 1", "WATCH 2", "LIST", "WATCH 9"]);
    await holds(() => seen.length === 5, { description: "no request more", forMs: 300 });
    deepStrictEqual(informer.stats, { lists: 2, watches: 3, events: 1, failures: 0 });
    deepStrictEqual(errors, []);
  });
});

Deno.test("Informer waits the backoff before relisting when the watch right after a list is answered 410", async () => {
  const clock = new FakeClock(1_000_000);
  await withServer(clock, (seen) => {
    if (seen.at(-1) === "LIST") return list(lists(seen) === 1 ? "1" : "9", ["a"]);
    if (seen.length === 2) return watchOf([event("ERROR", gone)], "close");
    return watchOf([], "hold");
  }, async (informer, seen, errors) => {
    await poll(() => errors.length > 0 || undefined, {
      description: "the refused watch",
      timeoutMs: 5_000,
    });
    await holds(() => seen.length === 2, {
      description: "no relist before the backoff",
      forMs: 300,
    });
    await clock.advance(backoffMs - 1);
    await holds(() => seen.length === 2, {
      description: "no relist before the backoff",
      forMs: 100,
    });
    await clock.advance(1);
    await poll(() => seen.length >= 4 || undefined, {
      description: "the relist and its watch",
      timeoutMs: 5_000,
    });
    deepStrictEqual(seen, ["LIST", "WATCH 1", "LIST", "WATCH 9"]);
    equal(informer.stats.failures, 1);
    equal(errors.length, 1);
    ok(errors[0]?.includes("410"), errors[0]);
  });
});
