import { deepStrictEqual, equal, rejects, throws } from "node:assert/strict";
import { RateLimitingQueue } from "../workqueue/rate_limiting_queue.ts";
import { ExponentialFailureRateLimiter } from "../workqueue/rate_limiters.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { poll } from "../../tests/support/poll.ts";
import { applyOutcome, type Attempt, runController } from "./controller.ts";
import { done, type Outcome, requeueAfter, retry, terminal } from "./reconcile.ts";

function queueWithClock() {
  const clock = new FakeClock();
  const queue = new RateLimitingQueue({
    clock,
    rateLimiter: new ExponentialFailureRateLimiter({ baseDelayMs: 10, maxDelayMs: 1000 }),
  });
  return { clock, queue };
}

Deno.test("applyOutcome() counts retries and forgets them on done and terminal", () => {
  const { queue } = queueWithClock();
  applyOutcome(queue, "a", retry(new Error("x")));
  applyOutcome(queue, "a", retry(new Error("x")));
  equal(queue.numRequeues("a"), 2);
  applyOutcome(queue, "a", done());
  equal(queue.numRequeues("a"), 0, "done forgets the failures");
  applyOutcome(queue, "b", retry(new Error("x")));
  applyOutcome(queue, "b", terminal(new Error("bad input")));
  equal(queue.numRequeues("b"), 0, "terminal forgets the failures");
  queue.shutDown();
});

Deno.test("applyOutcome() brings a key back after its backoff or its requeue delay, not before", async () => {
  const { clock, queue } = queueWithClock();
  applyOutcome(queue, "failed", retry(new Error("x")));
  applyOutcome(queue, "later", requeueAfter(500));
  equal(queue.len(), 0);
  await clock.advance(9);
  equal(queue.len(), 0);
  await clock.advance(1);
  equal(await queue.get(), "failed", "after the first backoff step (10 ms)");
  await clock.advance(489);
  equal(queue.len(), 0);
  await clock.advance(1);
  equal(await queue.get(), "later");
  equal(queue.numRequeues("later"), 0, "a requeue is not a failure");
  queue.shutDown();
});

Deno.test("requeueAfter() refuses a negative or infinite delay", () => {
  throws(() => requeueAfter(-1), {
    name: "RangeError",
    message:
      "Cannot requeue as 'delayMs' must be a finite number of at least 0: current value is -1",
  });
  throws(() => requeueAfter(Infinity), { name: "RangeError" });
});

Deno.test("runController() retries a failing key with backoff until it succeeds, then stops on abort", async () => {
  const queue = new RateLimitingQueue({
    rateLimiter: new ExponentialFailureRateLimiter({ baseDelayMs: 5, maxDelayMs: 50 }),
  });
  const attempts: Attempt[] = [];
  let failures = 3;
  const controller = new AbortController();
  const running = runController(queue, (key): Promise<Outcome> => {
    if (key === "flaky" && failures-- > 0) throw new Error(`still failing (${failures})`);
    return Promise.resolve(done());
  }, { signal: controller.signal, workers: 2, onAttempt: (attempt) => attempts.push(attempt) });
  queue.add("flaky");
  queue.add("steady");
  await poll(
    () =>
      attempts.filter((attempt) => attempt.key === "flaky" && attempt.outcome.kind === "done")[0],
    {
      description: "the flaky key to succeed",
    },
  );
  controller.abort();
  await running;
  deepStrictEqual(
    attempts.filter((attempt) => attempt.key === "flaky").map((attempt) => attempt.outcome.kind),
    ["retry", "retry", "retry", "done"],
  );
  equal(attempts.filter((attempt) => attempt.key === "steady").length, 1);
  equal(queue.numRequeues("flaky"), 0);
});

Deno.test("runController() shuts the queue down and rejects when its workers cannot start", async () => {
  const queue = new RateLimitingQueue();
  queue.add("waiting");
  const controller = new AbortController();
  await rejects(
    runController(queue, () => Promise.resolve(done()), {
      signal: controller.signal,
      workers: 0,
    }),
    {
      name: "RangeError",
      message: "Cannot run workers as 'workers' must be a positive integer: current value is 0",
    },
  );
  equal(queue.shuttingDown(), true, "the queue is shut down");
  equal(await queue.get(), undefined, "no key is handed out any more");
});

Deno.test("runController() stops and rejects with the error of a throwing onAttempt, after the keys in hand", async () => {
  const queue = new RateLimitingQueue();
  const reconciled: string[] = [];
  const controller = new AbortController();
  const running = runController(queue, (key) => {
    reconciled.push(key);
    return Promise.resolve(done());
  }, {
    signal: controller.signal,
    workers: 1,
    onAttempt: (attempt) => {
      if (attempt.key === "b") throw new Error("reporter broken");
    },
  });
  queue.add("a");
  queue.add("b");
  queue.add("c");
  await rejects(running, { message: "reporter broken" });
  deepStrictEqual(reconciled, ["a", "b"], "the controller stopped at the failing report");
  equal(queue.shuttingDown(), true);
});

Deno.test("runController() returns at once, with the queue shut down, when its signal is already aborted", async () => {
  const queue = new RateLimitingQueue();
  queue.add("left alone");
  let calls = 0;
  await runController(queue, () => {
    calls++;
    return Promise.resolve(done());
  }, { signal: AbortSignal.abort(), workers: 2 });
  equal(calls, 0, "queued keys are left alone");
  equal(queue.shuttingDown(), true);
});

Deno.test("runController() lets the key in hand finish with workSignal after signal aborted", async () => {
  const { queue } = queueWithClock();
  const stop = new AbortController();
  const work = new AbortController();
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  const seen: { aborted: boolean; key: string }[] = [];
  queue.add("in-hand");
  queue.add("queued");
  const running = runController(queue, async (key, { signal }) => {
    await released;
    seen.push({ key, aborted: signal.aborted });
    return done();
  }, { signal: stop.signal, workSignal: work.signal, workers: 1 });
  await poll(() => queue.len() === 1 || undefined, { description: "one key in hand" });
  stop.abort();
  release();
  await running;
  deepStrictEqual(
    seen,
    [{ key: "in-hand", aborted: false }],
    "finished unaborted; no new key taken",
  );
  equal(queue.shuttingDown(), true);
});
