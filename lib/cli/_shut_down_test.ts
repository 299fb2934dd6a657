import { deepEqual, equal } from "node:assert/strict";
import { createLogger } from "../log/logger.ts";
import { delay } from "../../tests/support/poll.ts";
import { shutDown } from "./_shut_down.ts";
import type { Started } from "./_started.ts";

const quiet = createLogger({ level: "none" });

/** A task that runs until `signal` aborts, then takes `ms` to stop, and fails with `failure`. */
function task(
  signal: AbortSignal,
  steps: string[],
  name: string,
  options: { ms: number; failure?: Error },
): Promise<void> {
  return new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()))
    .then(() => delay(options.ms))
    .then(() => {
      steps.push(`${name} stopped`);
      if (options.failure) throw options.failure;
    });
}

Deno.test("shutDown() aborts, awaits every task, then every server, then closes the clients", async () => {
  const stop = new AbortController();
  const steps: string[] = [];
  const first = new Error("first in order");
  const started: Started[] = [
    {
      tasks: [task(stop.signal, steps, "slow task", { ms: 60, failure: first })],
      clients: [{ close: () => steps.push("client closed") }],
    },
    {
      tasks: [task(stop.signal, steps, "fast task", { ms: 0, failure: new Error("sooner") })],
      servers: [{ finished: task(stop.signal, steps, "server", { ms: 20 }) }],
    },
  ];
  const failure = await shutDown(started, { stop, logger: quiet });
  equal(stop.signal.aborted, true);
  // The server closed before the slow task stopped, but is only awaited after it.
  deepEqual(steps, ["fast task stopped", "server stopped", "slow task stopped", "client closed"]);
  equal(failure?.reason, first, "the first failed task in stage order, not the first to fail");
});

Deno.test("shutDown() hands back no failure when every task stopped cleanly", async () => {
  const stop = new AbortController();
  const steps: string[] = [];
  const lines: string[] = [];
  const logger = createLogger({
    level: "debug",
    write: (line) => lines.push(JSON.parse(line).msg),
  });
  const started: Started[] = [{}, { tasks: [task(stop.signal, steps, "task", { ms: 0 })] }];
  equal(await shutDown(started, { stop, logger }), undefined);
  deepEqual(steps, ["task stopped"]);
  deepEqual(lines, ["components stopped", "servers closed"]);
});
