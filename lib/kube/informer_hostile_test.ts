/**
 * The informer against servers that misbehave in ways a real apiserver
 * cannot be made to on demand: real HTTP servers on loopback that split,
 * truncate or bloat watch streams, or fail and then recover.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { ConfigMap } from "kubernetes-types/core/v1.d.ts";
import { configFromUrl } from "./config/client_config.ts";
import { Informer } from "./informer.ts";
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
  at: number;
}

/** Runs an informer against `handler` and hands both to `body`. */
async function withFakeServer(
  handler: (request: Request, seen: Seen[]) => Response | Promise<Response>,
  body: (informer: Informer<ConfigMap>, seen: Seen[], errors: string[]) => Promise<void>,
  options: { maxLineBytes?: number } = {},
): Promise<void> {
  const seen: Seen[] = [];
  const errors: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const url = new URL(request.url);
    seen.push({
      path: url.pathname,
      watch: url.searchParams.get("watch") === "true",
      resourceVersion: url.searchParams.get("resourceVersion"),
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
    ok(errors[0]?.includes("a line exceeds 1000 bytes"), errors[0]);
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
