import { deepStrictEqual, rejects, throws } from "node:assert/strict";
import { Backoff } from "./backoff.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";

Deno.test("Backoff doubles up to the cap and adds jitter on top", async () => {
  const clock = new FakeClock();
  const backoff = new Backoff({ initialMs: 100, maxMs: 1000, clock, random: () => 0.5 });
  const delays = [];
  for (let failure = 0; failure < 6; failure++) {
    const delay = backoff.next();
    await clock.advance(delay);
    delays.push(delay);
  }
  deepStrictEqual(delays, [150, 300, 600, 1200, 1500, 1500]);
});

Deno.test("Backoff starts over after a healthy period", async () => {
  const clock = new FakeClock();
  const backoff = new Backoff({ initialMs: 100, resetAfterMs: 60_000, jitter: 0, clock });
  deepStrictEqual([backoff.next(), backoff.next(), backoff.next()], [100, 200, 400]);
  await clock.advance(60_000);
  deepStrictEqual(backoff.next(), 800, "exactly the healthy period is not enough");
  await clock.advance(60_001);
  deepStrictEqual(backoff.next(), 100);
  backoff.reset();
  deepStrictEqual(backoff.next(), 100);
});

Deno.test("Backoff.wait() sleeps on the clock and stops on abort", async () => {
  const clock = new FakeClock();
  const backoff = new Backoff({ initialMs: 100, jitter: 0, clock });
  const waiting = backoff.wait();
  deepStrictEqual(clock.pending, [100]);
  await clock.advance(100);
  await waiting;
  await rejects(backoff.wait(AbortSignal.abort(new Error("stop"))), { message: "stop" });
});

Deno.test("Backoff validates its options", () => {
  throws(() => new Backoff({ initialMs: -1 }), {
    name: "RangeError",
    message: "Cannot create backoff as 'initialMs' must be a positive number: current value is -1",
  });
  throws(() => new Backoff({ factor: 0.5 }), {
    name: "RangeError",
    message: "Cannot create backoff as 'factor' must be at least 1: current value is 0.5",
  });
  throws(() => new Backoff({ jitter: -0.1 }), {
    name: "RangeError",
    message: "Cannot create backoff as 'jitter' must not be negative: current value is -0.1",
  });
});
