import { deepStrictEqual, equal } from "node:assert/strict";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { ExponentialFailureRateLimiter } from "./rate_limiters.ts";
import { RateLimitingQueue } from "./rate_limiting_queue.ts";

function exponentialQueue(clock: FakeClock): RateLimitingQueue {
  const rateLimiter = new ExponentialFailureRateLimiter({ baseDelayMs: 5, maxDelayMs: 1000 });
  return new RateLimitingQueue({ rateLimiter, clock });
}

Deno.test("RateLimitingQueue.addRateLimited() waits as long as the rate limiter says", async () => {
  const clock = new FakeClock();
  const queue = exponentialQueue(clock);
  queue.addRateLimited("a");
  deepStrictEqual(clock.pending, [5]);
  await clock.advance(4);
  equal(queue.len(), 0);
  await clock.advance(1);
  equal(await queue.get(), "a");
  queue.addRateLimited("a");
  queue.done("a");
  deepStrictEqual(clock.pending, [10]);
  equal(queue.numRequeues("a"), 2);
});

Deno.test("RateLimitingQueue.forget() resets the backoff but leaves the key queued", async () => {
  const clock = new FakeClock();
  const queue = exponentialQueue(clock);
  queue.addRateLimited("a");
  await clock.advance(5);
  queue.forget("a");
  equal(queue.numRequeues("a"), 0);
  equal(queue.len(), 1);
  equal(await queue.get(), "a");
  queue.addRateLimited("a");
  deepStrictEqual(clock.pending, [5]);
  queue.shutDown();
});

Deno.test("RateLimitingQueue keeps retrying a key that always fails, at the capped delay", async () => {
  const clock = new FakeClock();
  const queue = exponentialQueue(clock);
  const delays: number[] = [];
  for (let attempt = 0; attempt < 30; attempt++) {
    queue.addRateLimited("a");
    const [delay = -1] = clock.pending;
    delays.push(delay);
    await clock.advance(delay);
    equal(await queue.get(), "a");
    queue.done("a");
  }
  deepStrictEqual(delays.slice(0, 9), [5, 10, 20, 40, 80, 160, 320, 640, 1000]);
  deepStrictEqual(delays.slice(9), Array(21).fill(1000));
  equal(queue.numRequeues("a"), 30);
});

Deno.test("RateLimitingQueue defaults to the controller rate limiter on its own clock", async () => {
  const clock = new FakeClock();
  const queue = new RateLimitingQueue({ clock });
  for (let i = 0; i <= 100; i++) queue.addRateLimited(`k${i}`);
  // 5 ms per key for the bucket's burst of 100, then 1/10 s for the 101st.
  deepStrictEqual(clock.pending, [...Array(100).fill(5), 100]);
  await clock.advance(100);
  equal(queue.len(), 101);
  equal(queue.numRequeues("k0"), 1);
  queue.shutDown();
});

Deno.test("RateLimitingQueue.addRateLimited() after shutdown counts no retry and waits for nothing", () => {
  const clock = new FakeClock();
  const queue = exponentialQueue(clock);
  queue.shutDown();
  queue.addRateLimited("a");
  equal(queue.numRequeues("a"), 0);
  deepStrictEqual(clock.pending, []);
});
