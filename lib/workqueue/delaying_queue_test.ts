import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { DelayingQueue } from "./delaying_queue.ts";

Deno.test("DelayingQueue.addAfter() adds each key once its own delay has passed", async () => {
  const clock = new FakeClock(1000);
  const queue = new DelayingQueue({ clock });
  queue.addAfter("slow", 200);
  queue.addAfter("fast", 100);
  deepStrictEqual(clock.pending, [100, 200]);
  await clock.advance(99);
  equal(queue.len(), 0);
  await clock.advance(1);
  equal(queue.len(), 1);
  equal(await queue.get(), "fast");
  await clock.advance(99);
  equal(queue.len(), 0);
  await clock.advance(1);
  equal(await queue.get(), "slow");
  deepStrictEqual(clock.pending, []);
});

Deno.test("DelayingQueue.addAfter() keeps the earlier ready time of a key already waiting", async () => {
  const clock = new FakeClock();
  const queue = new DelayingQueue({ clock });
  queue.addAfter("a", 100);
  queue.addAfter("a", 300);
  deepStrictEqual(clock.pending, [100]);
  queue.addAfter("a", 50);
  deepStrictEqual(clock.pending, [50]);
  await clock.advance(40);
  // Ready at 60, later than the 50 already set.
  queue.addAfter("a", 20);
  deepStrictEqual(clock.pending, [10]);
  await clock.advance(10);
  equal(await queue.get(), "a");
  queue.done("a");
  // The replaced delays must not add the key again later.
  await clock.advance(1000);
  equal(queue.len(), 0);
});

Deno.test("DelayingQueue.addAfter() adds at once when the delay is zero or negative", () => {
  const clock = new FakeClock();
  const queue = new DelayingQueue({ clock });
  queue.addAfter("zero", 0);
  queue.addAfter("negative", -5);
  equal(queue.len(), 2);
  deepStrictEqual(clock.pending, []);
});

Deno.test("DelayingQueue.addAfter() dedupes a key that becomes ready while queued", async () => {
  const clock = new FakeClock();
  const queue = new DelayingQueue({ clock });
  queue.add("a");
  queue.addAfter("a", 10);
  await clock.advance(10);
  equal(queue.len(), 1);
});

Deno.test("DelayingQueue.shutDown() cancels pending delays and ignores later ones", async () => {
  const clock = new FakeClock();
  const queue = new DelayingQueue({ clock });
  queue.addAfter("a", 100);
  queue.shutDown();
  deepStrictEqual(clock.pending, []);
  queue.addAfter("b", 100);
  deepStrictEqual(clock.pending, []);
  await clock.advance(100);
  equal(queue.len(), 0);
});

Deno.test("DelayingQueue.shutDownWithDrain() cancels pending delays", async () => {
  const clock = new FakeClock();
  const queue = new DelayingQueue({ clock });
  queue.addAfter("a", 100);
  await queue.shutDownWithDrain();
  deepStrictEqual(clock.pending, []);
  equal(await queue.get(), undefined);
});

Deno.test("DelayingQueue on the real clock adds after the delay and leaves no timer", async () => {
  const queue = new DelayingQueue();
  queue.addAfter("soon", 5);
  // Would trip the test's timer sanitizer if shutdown did not clear it.
  queue.addAfter("never", 60_000);
  equal(await queue.get(), "soon");
  queue.done("soon");
  queue.shutDown();
});

Deno.test("DelayingQueue.addAfter() throws if the delay is not a finite number", () => {
  const queue = new DelayingQueue({ clock: new FakeClock() });
  throws(() => queue.addAfter("a", NaN), {
    name: "RangeError",
    message: "Cannot add key after a delay as 'ms' must be a finite number: current value is NaN",
  });
  throws(() => queue.addAfter("a", Infinity), {
    name: "RangeError",
    message:
      "Cannot add key after a delay as 'ms' must be a finite number: current value is Infinity",
  });
  throws(() => queue.addAfter("a", "5" as unknown as number), {
    name: "TypeError",
    message: "Cannot add key after a delay as 'ms' must be a finite number: current value is \"5\"",
  });
});
