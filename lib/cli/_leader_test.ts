import { deepStrictEqual, ok } from "node:assert/strict";
import { Registry } from "prom-client";
import { withClusters } from "../../tests/cluster/mod.ts";
import { adminConfig } from "../../tests/support/client_configs.ts";
import { poll } from "../../tests/support/poll.ts";
import { LeaderElector } from "../kube/leader_election.ts";
import { RestClient } from "../kube/rest.ts";
import { Transport } from "../kube/transport.ts";
import { createLogger } from "../log/logger.ts";
import { leaderMetrics, runWhileLeading } from "./_leader.ts";

Deno.test("runWhileLeading() campaigns again after each term, pausing in between", async () => {
  await withClusters(["leader-loop"], async ([cluster]) => {
    if (!cluster) throw new Error("cluster missing");
    using transport = new Transport(adminConfig(cluster));
    const elector = new LeaderElector({
      rest: new RestClient(transport),
      namespace: "default",
      name: "loop",
      identity: "loop-1",
      leaseDurationMs: 3_000,
      renewDeadlineMs: 2_000,
      retryPeriodMs: 200,
    });
    const registry = new Registry();
    leaderMetrics(registry, elector);
    const lines: { msg: string }[] = [];
    const logger = createLogger({ level: "debug", write: (line) => lines.push(JSON.parse(line)) });
    const stop = new AbortController();
    const terms: number[] = [];
    let leaderGauge = "";
    const running = runWhileLeading({
      elector,
      signal: stop.signal,
      logger,
      pauseMs: 400,
      // Each term fails at once, as a Reflector that cannot start would.
      lead: async () => {
        terms.push(performance.now());
        leaderGauge = (await registry.metrics()).split("\n")
          .find((line) => line.startsWith("service_reflector_leader ")) ?? "";
        throw new Error("cannot start");
      },
    });
    try {
      await poll(() => terms.length >= 3 || undefined, {
        description: "three terms",
        timeoutMs: 15_000,
      });
    } finally {
      stop.abort();
      await running;
    }
    deepStrictEqual(leaderGauge, "service_reflector_leader 1", "the gauge reads 1 while leading");
    for (let index = 1; index < terms.length; index++) {
      const gap = (terms[index] as number) - (terms[index - 1] as number);
      ok(gap >= 400, `term ${index} started ${gap.toFixed(0)} ms after the previous one`);
    }
    const messages = lines.map((line) => line.msg);
    ok(
      messages.includes("started leading") && messages.includes("stopped leading"),
      messages.join(),
    );
    ok(messages.includes("the term ended; campaigning again"), messages.join());
  });
});
