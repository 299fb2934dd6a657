import { equal, ok } from "node:assert/strict";
import { collectDefaultMetrics, Counter, Registry } from "prom-client";
import { type HealthCheck, listenHandler } from "./listen_server.ts";

function switchable(name: string, failure?: string): HealthCheck & { failure?: string } {
  const state: HealthCheck & { failure?: string } = {
    name,
    check: () => state.failure,
    ...(failure ? { failure } : {}),
  };
  return state;
}

Deno.test("listenHandler() serves metrics with the default process metrics", async () => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Counter({
    name: "service_reflector_reconcile_attempts_total",
    help: "x",
    registers: [registry],
  }).inc(3);
  const handle = listenHandler({ registry, live: [], ready: [] });
  const response = await handle(new Request("http://listen.test/metrics"));
  const text = await response.text();
  ok(text.includes("service_reflector_reconcile_attempts_total 3"), text.slice(0, 200));
  ok(text.includes("process_resident_memory_bytes"), "default process metrics are included");
  equal((await handle(new Request("http://listen.test/nope"))).status, 404);
  equal(
    (await handle(new Request("http://listen.test/metrics", { method: "POST" }))).status,
    405,
  );
});

Deno.test("listenHandler() answers readiness as kube-apiserver does, check by check", async () => {
  const emitter = switchable("emitter");
  const reflector = switchable("reflector", "host caches not synced");
  const handle = listenHandler({ registry: new Registry(), live: [], ready: [emitter, reflector] });
  const get = async (path: string) => {
    const response = await handle(new Request(`http://listen.test${path}`));
    return [response.status, await response.text()];
  };

  equal(
    JSON.stringify(await get("/readyz")),
    JSON.stringify([
      503,
      "[+]emitter ok\n[-]reflector failed: host caches not synced\nreadyz check failed\n",
    ]),
  );
  delete reflector.failure;
  equal(JSON.stringify(await get("/readyz")), JSON.stringify([200, "ok\n"]));
  equal(
    JSON.stringify(await get("/readyz?verbose")),
    JSON.stringify([200, "[+]emitter ok\n[+]reflector ok\nreadyz check passed\n"]),
  );
});

Deno.test("listenHandler() adds informational lines to a verbose readiness answer, never failing it", async () => {
  const handle = listenHandler({
    registry: new Registry(),
    live: [],
    ready: [switchable("reflector")],
    readyInfo: () => [{ name: "source east", describe: () => "down (never reached), not synced" }],
  });
  const verbose = await handle(new Request("http://listen.test/readyz?verbose"));
  equal(verbose.status, 200);
  equal(
    await verbose.text(),
    "[+]reflector ok\n[i]source east: down (never reached), not synced\nreadyz check passed\n",
  );
  equal(await (await handle(new Request("http://listen.test/readyz"))).text(), "ok\n");
});

Deno.test("listenHandler() fails liveness on each path with 500 while a live check fails", async () => {
  const election = switchable("leader-election", "the lease was last renewed 40 s ago");
  const handle = listenHandler({ registry: new Registry(), live: [election], ready: [] });
  for (const path of ["/healthz", "/livez", "/health"]) {
    const response = await handle(new Request(`http://listen.test${path}`));
    equal(response.status, 500, path);
    equal(
      await response.text(),
      "[-]leader-election failed: the lease was last renewed 40 s ago\n" +
        `${path.slice(1)} check failed\n`,
    );
  }
  delete election.failure;
  equal((await handle(new Request("http://listen.test/healthz"))).status, 200);
});
