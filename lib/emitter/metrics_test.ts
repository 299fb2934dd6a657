import { deepStrictEqual, equal, throws } from "node:assert/strict";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import { register, Registry } from "prom-client";
import { exportedView } from "../../tests/support/emitter_upstream.ts";
import { decodeWatchEvents } from "../kube/watch_stream.ts";
import { createHandler } from "./handler.ts";
import { type EmitterMetrics, emitterMetrics } from "./metrics.ts";
import { WatchHub, type WatchHubOptions } from "./watch.ts";

/** An Emitter handler over hand-filled caches, started, with its metrics in a fresh registry. */
function setup(watch: Omit<WatchHubOptions, keyof EmitterMetrics> = {}) {
  const registry = new Registry();
  const metrics = emitterMetrics(registry);
  const { upstream, view } = exportedView();
  const hub = new WatchHub(view, { ...watch, ...metrics });
  const handler = createHandler({ view, hub, ready: () => view.started, ...metrics });
  const request = (path: string) => handler(new Request(`http://emitter.test${path}`));
  return { registry, upstream, view, hub, request };
}

/** The sample lines of the Emitter's series, in exposition order. */
async function samples(registry: Registry): Promise<string[]> {
  return (await registry.metrics())
    .split("\n")
    .filter((line) => line.startsWith("service_reflector_emitter_"));
}

Deno.test("emitterMetrics() counts requests, open watchers and events sent", async () => {
  const { registry, upstream, view, hub, request } = setup();
  upstream.service("shop", "web", { export: "yes" });
  view.start();
  equal((await request("/api/v1/services")).status, 200);
  const missing = await request("/api/v1/namespaces/shop/services/nope");
  equal(missing.status, 404);
  await missing.body?.cancel();

  const watch = await request(
    "/api/v1/namespaces/shop/services?watch=true&resourceVersion=2000000",
  );
  equal(watch.status, 200);
  equal(hub.size, 1);
  deepStrictEqual(
    (await samples(registry)).filter((line) => line.includes("watchers ")),
    ["service_reflector_emitter_watchers 1"],
  );
  upstream.service("shop", "web", { export: "yes", v: "2" });
  upstream.deleteService("shop", "web");
  const seen: string[] = [];
  for await (const event of decodeWatchEvents<Service>(watch.body as ReadableStream<Uint8Array>)) {
    seen.push(event.type);
    if (seen.length === 2) break;
  }
  deepStrictEqual(seen, ["MODIFIED", "DELETED"]);
  equal(hub.size, 0);

  deepStrictEqual(await samples(registry), [
    'service_reflector_emitter_requests_total{verb="list",code="200"} 1',
    'service_reflector_emitter_requests_total{verb="get",code="404"} 1',
    'service_reflector_emitter_requests_total{verb="watch",code="200"} 1',
    "service_reflector_emitter_watchers 0",
    'service_reflector_emitter_events_sent_total{resource="services"} 2',
    'service_reflector_emitter_events_sent_total{resource="endpoints"} 0',
    'service_reflector_emitter_events_sent_total{resource="endpointslices"} 0',
    'service_reflector_emitter_slow_watchers_closed_total{resource="services"} 0',
    'service_reflector_emitter_slow_watchers_closed_total{resource="endpoints"} 0',
    'service_reflector_emitter_slow_watchers_closed_total{resource="endpointslices"} 0',
  ]);
});

Deno.test("emitterMetrics() counts a watcher closed for falling behind", async () => {
  const { registry, upstream, view, hub, request } = setup({ bufferBytes: 2048 });
  view.start();
  const slow = await request("/api/v1/services?watch=true&resourceVersion=2000000");
  for (let index = 0; index < 40; index++) upstream.service("shop", `s${index}`, { export: "yes" });
  equal(hub.size, 0, "the watcher that fell behind was closed");
  await slow.body?.cancel();
  const lines = await samples(registry);
  deepStrictEqual(lines.filter((line) => line.includes("slow_watchers")), [
    'service_reflector_emitter_slow_watchers_closed_total{resource="services"} 1',
    'service_reflector_emitter_slow_watchers_closed_total{resource="endpoints"} 0',
    'service_reflector_emitter_slow_watchers_closed_total{resource="endpointslices"} 0',
  ]);
  equal(lines.includes("service_reflector_emitter_watchers 0"), true);
});

Deno.test("emitterMetrics() registers only in the registry given, once", () => {
  const registry = new Registry();
  emitterMetrics(registry);
  throws(() => emitterMetrics(registry), /already been registered/);
  emitterMetrics(new Registry());
  equal(register.getSingleMetric("service_reflector_emitter_requests_total"), undefined);
  equal(register.getSingleMetric("service_reflector_emitter_watchers"), undefined);
});
