import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { Queue } from "./queue.ts";
import { runWorkers } from "./run_workers.ts";
import { flush, track } from "../../tests/support/promise_state.ts";

function sleepTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("runWorkers() with N workers never runs one key twice at once", async () => {
  const queue = new Queue();
  const controller = new AbortController();
  const active = new Set<string>();
  const violations: string[] = [];
  const lastAdded = new Map<string, number>();
  const lastStarted = new Map<string, number>();
  let time = 0;
  let maxActive = 0;
  const running = runWorkers(queue, async (key) => {
    if (active.has(key)) violations.push(key);
    active.add(key);
    lastStarted.set(key, time++);
    maxActive = Math.max(maxActive, active.size);
    await sleepTurn();
    active.delete(key);
  }, { workers: 4, signal: controller.signal });

  const keys = ["a", "b", "c", "d", "e", "f"];
  for (let round = 0; round < 20; round++) {
    for (const key of keys.slice(round % 3)) {
      queue.add(key);
      lastAdded.set(key, time++);
    }
    await flush();
  }
  controller.abort();
  await running;

  deepStrictEqual(violations, []);
  equal(maxActive, 4);
  for (const key of keys) {
    ok(
      (lastStarted.get(key) ?? -1) > (lastAdded.get(key) ?? 0),
      `${key} was not processed after its last add`,
    );
  }
});

Deno.test("runWorkers() drains queued keys on abort and resolves after the last handler", async () => {
  const queue = new Queue();
  const controller = new AbortController();
  const release = Promise.withResolvers<void>();
  const handled: string[] = [];
  const running = track(runWorkers(queue, async (key) => {
    handled.push(key);
    if (key === "a") await release.promise;
  }, { signal: controller.signal }));
  queue.add("a");
  queue.add("b");
  await flush();
  controller.abort();
  queue.add("c");
  await flush();
  equal(queue.shuttingDown(), true);
  equal(running.settled, false);
  deepStrictEqual(handled, ["a"]);
  release.resolve();
  await flush();
  equal(running.settled, true);
  deepStrictEqual(handled, ["a", "b"]);
});

Deno.test("runWorkers() reports handler errors to onError and keeps the worker going", async () => {
  const queue = new Queue();
  const controller = new AbortController();
  const handled: string[] = [];
  const errors: [string, unknown][] = [];
  const failure = new Error("boom");
  const running = runWorkers(queue, (key) => {
    handled.push(key);
    if (key === "throws") throw failure;
    return key === "rejects" ? Promise.reject(failure) : undefined;
  }, { signal: controller.signal, onError: (key, error) => errors.push([key, error]) });
  for (const key of ["throws", "rejects", "fine"]) queue.add(key);
  await flush();
  // done() ran despite the errors, so the keys can be processed again.
  queue.add("throws");
  controller.abort();
  await running;
  deepStrictEqual(handled, ["throws", "rejects", "fine", "throws"]);
  deepStrictEqual(errors, [["throws", failure], ["rejects", failure], ["throws", failure]]);
});

Deno.test("runWorkers() keeps the worker going when onError itself throws", async () => {
  const queue = new Queue();
  const controller = new AbortController();
  const handled: string[] = [];
  const running = runWorkers(queue, (key) => {
    handled.push(key);
    throw new Error(key);
  }, {
    signal: controller.signal,
    onError: () => {
      throw new Error("reporter broke");
    },
  });
  queue.add("a");
  queue.add("b");
  await flush();
  controller.abort();
  await running;
  deepStrictEqual(handled, ["a", "b"]);
});

Deno.test("runWorkers() with an aborted signal processes what is queued, then returns", async () => {
  const queue = new Queue();
  queue.add("a");
  const handled: string[] = [];
  await runWorkers(queue, (key) => {
    handled.push(key);
  }, { workers: 2, signal: AbortSignal.abort() });
  deepStrictEqual(handled, ["a"]);
});

Deno.test("runWorkers() returns when the queue is shut down elsewhere and stops listening", async () => {
  const queue = new Queue();
  let drains = 0;
  const spy = {
    get: () => queue.get(),
    done: (key: string) => queue.done(key),
    shutDownWithDrain: () => {
      drains++;
      return queue.shutDownWithDrain();
    },
  };
  const controller = new AbortController();
  const running = runWorkers(spy, () => {}, { workers: 3, signal: controller.signal });
  queue.shutDown();
  await running;
  controller.abort();
  equal(drains, 0);
});

Deno.test("runWorkers() throws if workers is not a positive integer", async () => {
  const queue = new Queue();
  for (const workers of [0, -1, 1.5, NaN]) {
    await rejects(runWorkers(queue, () => {}, { workers }), {
      name: "RangeError",
      message:
        `Cannot run workers as 'workers' must be a positive integer: current value is ${workers}`,
    });
  }
  await rejects(runWorkers(queue, () => {}, { workers: "2" as unknown as number }), {
    name: "TypeError",
    message: "Cannot run workers as 'workers' must be a positive integer: current value is \"2\"",
  });
  equal(queue.shuttingDown(), false);
});
