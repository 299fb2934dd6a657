import { equal, ok, rejects } from "node:assert/strict";
import { Registry } from "prom-client";
import { withClusters } from "../../tests/cluster/mod.ts";
import { freePorts } from "../../tests/cluster/ports.ts";
import { adminConfig } from "../../tests/support/client_configs.ts";
import { poll } from "../../tests/support/poll.ts";
import { RestClient } from "../kube/rest.ts";
import { Transport } from "../kube/transport.ts";
import type { EmitterConfig } from "./flags.ts";
import { logRecorder, messages } from "./_cli_fixtures.ts";
import { startEmitter } from "./_start_emitter.ts";

function emitterConfig(insecurePort: number): EmitterConfig {
  return {
    enabled: true,
    selector: "",
    insecurePort,
    securePort: 0,
    bindAddress: "127.0.0.1",
    maxConnections: 1024,
    requestHeaderTimeoutMs: 30_000,
  };
}

Deno.test("startEmitter() on a real cluster", async (t) => {
  await withClusters(["emitter-stage"], async ([cluster]) => {
    if (!cluster) throw new Error("cluster missing");
    await cluster.kubectl("create", "service", "clusterip", "web", "--tcp=80:8080");
    using transport = new Transport(adminConfig(cluster));
    const setup = { rest: new RestClient(transport) };

    await t.step(
      "serves the cluster's Services, is ready once synced, and stops with its signal",
      async () => {
        const [port] = freePorts(1) as [number];
        const { logger, lines } = logRecorder();
        const stop = new AbortController();
        const started = await startEmitter(setup, {
          config: emitterConfig(port),
          registry: new Registry(),
          logger,
          signal: stop.signal,
        });
        try {
          const [ready] = started.ready ?? [];
          equal(ready?.name, "emitter");
          await poll(() => ready?.check() === undefined || undefined, { description: "synced" });
          const list = await (await fetch(`http://127.0.0.1:${port}/api/v1/services`)).json();
          ok(
            list.items.some((item: { metadata: { name: string } }) => item.metadata.name === "web"),
            JSON.stringify(list.items.map((item: { metadata: unknown }) => item.metadata)),
          );
          ok(messages(lines).includes("emitter: serving"), messages(lines).join());
        } finally {
          stop.abort();
          await Promise.all(started.tasks ?? []);
          await Promise.all((started.servers ?? []).map((server) => server.finished));
        }
        equal(started.servers?.length, 1, "the HTTPS port is off");
        ok(messages(lines).includes("emitter: stopped"), messages(lines).join());
      },
    );

    await t.step("stops the Emitter it started when a port is taken, then rejects", async () => {
      const [port] = freePorts(1) as [number];
      using taken = Deno.listen({ hostname: "127.0.0.1", port });
      const { logger, lines } = logRecorder();
      const stop = new AbortController();
      await rejects(
        startEmitter(setup, {
          config: emitterConfig(taken.addr.port),
          registry: new Registry(),
          logger,
          signal: stop.signal,
        }),
        Deno.errors.AddrInUse,
      );
      equal(stop.signal.aborted, false, "the caller's signal is left alone");
      // Its informers stopped: nothing of it is left running (the leak sanitizer checks too).
      equal(messages(lines).at(-1), "emitter: stopped", messages(lines).join());
    });
  });
});
