import { deepStrictEqual, rejects } from "node:assert/strict";
import { FakeClock } from "./fake_clock.ts";

Deno.test("FakeClock wakes sleepers in order at their own time", async () => {
  const clock = new FakeClock(1000);
  const woken: [string, number][] = [];
  const late = clock.sleep(50).then(() => woken.push(["late", clock.now()]));
  const early = clock.sleep(10).then(() => woken.push(["early", clock.now()]));
  deepStrictEqual(clock.pending, [10, 50]);
  await clock.advance(30);
  deepStrictEqual(woken, [["early", 1010]]);
  await clock.advance(30);
  await Promise.all([late, early]);
  deepStrictEqual(woken, [["early", 1010], ["late", 1050]]);
  deepStrictEqual(clock.now(), 1060);
});

Deno.test("FakeClock.sleep() rejects on abort and forgets the sleeper", async () => {
  const clock = new FakeClock();
  const controller = new AbortController();
  const sleeping = clock.sleep(100, controller.signal);
  controller.abort(new Error("cancelled"));
  await rejects(sleeping, { message: "cancelled" });
  deepStrictEqual(clock.pending, []);
});
