import { equal, ok } from "node:assert/strict";
import { collectDefaultMetrics, Counter, Registry } from "prom-client";
import { listenHandler } from "./listen_server.ts";

Deno.test("listenHandler() serves metrics, liveness and readiness", async () => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Counter({
    name: "service_reflector_reconcile_attempts_total",
    help: "x",
    registers: [registry],
  }).inc(3);
  const state = { emitter: true, reflector: false };
  const handle = listenHandler({ registry, ready: () => ({ ...state }) });
  const request = (path: string) => handle(new Request(`http://listen.test${path}`));

  const metrics = await request("/metrics");
  const text = await metrics.text();
  ok(text.includes("service_reflector_reconcile_attempts_total 3"), text.slice(0, 200));
  ok(text.includes("process_resident_memory_bytes"), "default process metrics are included");
  equal((await request("/healthz")).status, 200);
  equal((await request("/health")).status, 200);
  const notReady = await request("/readyz");
  equal(notReady.status, 503);
  equal(await notReady.text(), "not ready: reflector\n");
  state.reflector = true;
  equal((await request("/readyz")).status, 200);
  equal((await request("/nope")).status, 404);
});
