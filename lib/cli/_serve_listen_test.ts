import { deepEqual, equal, ok } from "node:assert/strict";
import { Counter, Registry } from "prom-client";
import { serveListen } from "./_serve_listen.ts";
import { StartupError } from "./_startup_error.ts";

Deno.test("serveListen() serves metrics and every stage's checks, in stage order, until its signal aborts", async () => {
  const registry = new Registry();
  new Counter({ name: "stage_test_total", help: "A counter.", registers: [registry] });
  let leaderOk = true;
  const stop = new AbortController();
  const listen = await serveListen({ hostname: "127.0.0.1", port: 0 }, {
    registry,
    signal: stop.signal,
    started: [
      { ready: [{ name: "emitter", check: () => undefined }] },
      {
        live: [{ name: "leader-election", check: () => leaderOk ? undefined : "overdue" }],
        ready: [{ name: "reflector", check: () => "host caches not synced" }],
      },
    ],
  });
  const get = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${listen.port}${path}`);
    return [response.status, await response.text()];
  };
  try {
    deepEqual(await get("/readyz"), [
      503,
      "[+]emitter ok\n[-]reflector failed: host caches not synced\nreadyz check failed\n",
    ]);
    deepEqual(await get("/healthz"), [200, "ok\n"]);
    leaderOk = false;
    deepEqual(await get("/livez"), [
      500,
      "[-]leader-election failed: overdue\nlivez check failed\n",
    ]);
    const [status, metrics] = await get("/metrics");
    equal(status, 200);
    equal(String(metrics).includes("stage_test_total 0"), true, String(metrics));
  } finally {
    stop.abort();
    await Promise.all((listen.servers ?? []).map((server) => server.finished));
  }
  equal(listen.servers?.length, 1);
  const refused = await fetch(`http://127.0.0.1:${listen.port}/healthz`).then(
    (response) => response.body?.cancel().then(() => false),
    () => true,
  );
  equal(refused, true, "nothing listens once the signal aborted");
});

Deno.test("serveListen() on an address in use fails with a StartupError blaming --listen", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = taken.addr;
  const stop = new AbortController();
  const error = await serveListen({ hostname: "127.0.0.1", port }, {
    registry: new Registry(),
    signal: stop.signal,
    started: [],
  }).catch((error) => error);
  stop.abort();
  ok(error instanceof StartupError, String(error));
  equal(error.flag, "--listen");
  equal(
    error.message,
    `--listen: Cannot listen on 127.0.0.1:${port} as port ${port} is already in use`,
  );
});
