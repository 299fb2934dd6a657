import { deepStrictEqual, equal, throws } from "node:assert/strict";
import fc from "fast-check";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import {
  BucketRateLimiter,
  defaultControllerRateLimiter,
  ExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  type RateLimiter,
} from "./rate_limiters.ts";

function whens(limiter: RateLimiter, keys: string[]): number[] {
  return keys.map((key) => limiter.when(key));
}

Deno.test("ExponentialFailureRateLimiter.when() doubles per failure of a key up to the cap", () => {
  const limiter = new ExponentialFailureRateLimiter({ baseDelayMs: 5, maxDelayMs: 40 });
  deepStrictEqual(whens(limiter, ["a", "a", "a", "a", "a", "a"]), [5, 10, 20, 40, 40, 40]);
  equal(limiter.numRequeues("a"), 6);
  equal(limiter.when("b"), 5);
  limiter.forget("a");
  equal(limiter.numRequeues("a"), 0);
  equal(limiter.when("a"), 5);
});

Deno.test("ExponentialFailureRateLimiter defaults to 5 ms doubling to a 1000 s cap", () => {
  const limiter = new ExponentialFailureRateLimiter();
  const delays = whens(limiter, Array(19).fill("a"));
  deepStrictEqual(delays, [...Array.from({ length: 18 }, (_, i) => 5 * 2 ** i), 1_000_000]);
  // Long past the point where 2 ** failures overflows to Infinity.
  for (let i = 0; i < 2000; i++) limiter.when("a");
  equal(limiter.when("a"), 1_000_000);
});

Deno.test("ExponentialFailureRateLimiter.when() is min(base * 2 ** n, max) for the n-th retry", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1000 }),
      fc.integer({ min: 0, max: 100_000 }),
      fc.integer({ min: 1, max: 40 }),
      (baseDelayMs, extraMs, retries) => {
        const maxDelayMs = baseDelayMs + extraMs;
        const limiter = new ExponentialFailureRateLimiter({ baseDelayMs, maxDelayMs });
        for (let n = 0; n < retries; n++) {
          equal(limiter.when("key"), Math.min(baseDelayMs * 2 ** n, maxDelayMs));
        }
        equal(limiter.numRequeues("key"), retries);
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("BucketRateLimiter.when() lets a burst through, then spaces retries by 1/qps", async () => {
  const clock = new FakeClock();
  const limiter = new BucketRateLimiter({ qps: 10, burst: 3, clock });
  deepStrictEqual(whens(limiter, ["a", "b", "c", "d", "e", "a"]), [0, 0, 0, 100, 200, 300]);
  // 100 ms refill one token, which the reservations already made use up.
  await clock.advance(100);
  equal(limiter.when("f"), 300);
  // A long idle period refills the bucket to its burst, not beyond.
  await clock.advance(60_000);
  deepStrictEqual(whens(limiter, ["a", "b", "c", "d"]), [0, 0, 0, 100]);
});

Deno.test("BucketRateLimiter defaults to a burst of 100 at 10 per second", () => {
  const limiter = new BucketRateLimiter({ clock: new FakeClock() });
  const delays = whens(limiter, Array.from({ length: 102 }, (_, i) => `k${i}`));
  deepStrictEqual(delays, [...Array(100).fill(0), 100, 200]);
  equal(limiter.numRequeues("k0"), 0);
  limiter.forget("k0");
  equal(limiter.when("k0"), 300);
});

Deno.test("MaxOfRateLimiter.when() returns the longest wait of its limiters", () => {
  const limiter = new MaxOfRateLimiter({
    limiters: [
      new ExponentialFailureRateLimiter({ baseDelayMs: 5 }),
      new BucketRateLimiter({ qps: 10, burst: 2, clock: new FakeClock() }),
    ],
  });
  deepStrictEqual(whens(limiter, ["a", "a", "a"]), [5, 10, 100]);
  equal(limiter.numRequeues("a"), 3);
  limiter.forget("a");
  equal(limiter.numRequeues("a"), 0);
  equal(limiter.when("a"), 200);
});

Deno.test("defaultControllerRateLimiter() backs off per key from 5 ms and caps all keys at 10/s", () => {
  const limiter = defaultControllerRateLimiter({ clock: new FakeClock() });
  const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
  deepStrictEqual(whens(limiter, keys), Array(100).fill(5));
  deepStrictEqual(whens(limiter, ["k100", "k101"]), [100, 200]);
  equal(limiter.numRequeues("k0"), 1);
});

Deno.test("ExponentialFailureRateLimiter throws on delays that are not positive numbers", () => {
  throws(() => new ExponentialFailureRateLimiter({ baseDelayMs: -1 }), {
    name: "RangeError",
    message:
      "Cannot create rate limiter as 'baseDelayMs' must be a positive number: current value is -1",
  });
  throws(() => new ExponentialFailureRateLimiter({ maxDelayMs: Infinity }), {
    name: "RangeError",
    message:
      "Cannot create rate limiter as 'maxDelayMs' must be a positive number: current value is Infinity",
  });
  throws(() => new ExponentialFailureRateLimiter({ baseDelayMs: 5, maxDelayMs: 1 }), {
    name: "RangeError",
    message:
      "Cannot create rate limiter as 'maxDelayMs' must be at least 'baseDelayMs': current value is 1",
  });
  throws(() => new ExponentialFailureRateLimiter({ baseDelayMs: "5" as unknown as number }), {
    name: "TypeError",
    message:
      "Cannot create rate limiter as 'baseDelayMs' must be a positive number: current value is \"5\"",
  });
});

Deno.test("BucketRateLimiter throws on a qps or burst out of range", () => {
  throws(() => new BucketRateLimiter({ qps: 0 }), {
    name: "RangeError",
    message: "Cannot create rate limiter as 'qps' must be a positive number: current value is 0",
  });
  throws(() => new BucketRateLimiter({ burst: 1.5 }), {
    name: "RangeError",
    message:
      "Cannot create rate limiter as 'burst' must be a positive integer: current value is 1.5",
  });
});

Deno.test("MaxOfRateLimiter throws without limiters", () => {
  throws(() => new MaxOfRateLimiter({ limiters: [] }), {
    name: "RangeError",
    message: "Cannot create rate limiter as 'limiters' must not be empty: current length is 0",
  });
  throws(() => new MaxOfRateLimiter({} as { limiters: RateLimiter[] }), {
    name: "TypeError",
    message:
      "Cannot create rate limiter as 'limiters' must be an array: current value is undefined",
  });
});
