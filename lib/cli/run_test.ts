import { equal, ok, rejects } from "node:assert/strict";
import { Registry } from "prom-client";
import { withClusters } from "../../tests/cluster/mod.ts";
import { freePorts } from "../../tests/cluster/ports.ts";
import { poll } from "../../tests/support/poll.ts";
import { logRecorder, messages, parsedConfig } from "./_cli_fixtures.ts";
import { runService, StartupError } from "./run.ts";

/** Whether nothing listens on `port` of the loopback interface. */
async function refused(port: number): Promise<boolean> {
  return await fetch(`http://127.0.0.1:${port}/healthz`).then(
    async (response) => {
      await response.body?.cancel();
      return false;
    },
    () => true,
  );
}

Deno.test("runService() rejects a bad configuration with a StartupError before anything listens", async () => {
  const [emitterPort, listenPort] = freePorts(2) as [number, number];
  const { logger, lines } = logRecorder();
  await rejects(
    runService(
      parsedConfig([
        "--kubeconfig=/does/not/exist",
        `--listen=127.0.0.1:${listenPort}`,
        `--emitter.insecure-port=${emitterPort}`,
      ]),
      { signal: new AbortController().signal, logger, registry: new Registry() },
    ),
    (error) => {
      ok(error instanceof StartupError);
      equal(error.flag, "--kubeconfig");
      return true;
    },
  );
  equal(lines.length, 0, "nothing started, so nothing logged");
  equal(await refused(emitterPort) && await refused(listenPort), true);
});

Deno.test("runService() on a real cluster", async (t) => {
  await withClusters(["run-service"], async ([cluster]) => {
    if (!cluster) throw new Error("cluster missing");
    const flags = (emitterPort: number, listenPort: number) =>
      parsedConfig([
        `--kubeconfig=${cluster.kubeconfig}`,
        `--listen=127.0.0.1:${listenPort}`,
        "--emitter.bind-address=127.0.0.1",
        `--emitter.insecure-port=${emitterPort}`,
        "--emitter.secure-port=0",
      ]);

    await t.step(
      "runs every stage until its signal aborts, then stops components before servers",
      async () => {
        const [emitterPort, listenPort] = freePorts(2) as [number, number];
        const { logger, lines } = logRecorder();
        const stop = new AbortController();
        let listening = 0;
        const running = runService(flags(emitterPort, listenPort), {
          signal: stop.signal,
          logger,
          registry: new Registry(),
          onListening: ({ listen }) => listening = listen,
        });
        try {
          await poll(async () => {
            const response = await fetch(`http://127.0.0.1:${listenPort}/readyz?verbose`);
            const text = await response.text();
            return response.ok ? text : undefined;
          }, { description: "/readyz", timeoutMs: 30_000 }).then((text) =>
            equal(text, "[+]emitter ok\n[+]reflector ok\nreadyz check passed\n")
          );
          equal(listening, listenPort);
        } finally {
          stop.abort();
          await running;
        }
        const logged = messages(lines);
        const at = (message: string) => logged.indexOf(message);
        ok(at(": shutting down") > at(": started"), logged.join("\n"));
        for (const component of ["emitter", "reflector"]) {
          ok(at(`${component}: stopped`) > at(": shutting down"), logged.join("\n"));
          ok(at(`${component}: stopped`) < at(": components stopped"), logged.join("\n"));
        }
        ok(at(": components stopped") < at(": servers closed"), logged.join("\n"));
        equal(await refused(emitterPort) && await refused(listenPort), true);
      },
    );

    await t.step(
      "stops what started and passes the error on when --listen cannot listen",
      async () => {
        const [emitterPort, listenPort] = freePorts(2) as [number, number];
        using _taken = Deno.listen({ hostname: "127.0.0.1", port: listenPort });
        const { logger, lines } = logRecorder();
        await rejects(
          runService(flags(emitterPort, listenPort), {
            signal: new AbortController().signal,
            logger,
            registry: new Registry(),
          }),
          (error: unknown) =>
            error instanceof StartupError && error.flag === "--listen" &&
            error.cause instanceof Deno.errors.AddrInUse,
        );
        const logged = messages(lines);
        for (
          const message of [
            "emitter: serving",
            "emitter: stopped",
            "reflector: stopped",
            ": components stopped",
            ": servers closed",
          ]
        ) {
          ok(logged.includes(message), `${message} in\n${logged.join("\n")}`);
        }
        ok(!logged.includes(": started"), logged.join("\n"));
        equal(await refused(emitterPort), true, "the Emitter's port is closed again");
      },
    );
  });
});
