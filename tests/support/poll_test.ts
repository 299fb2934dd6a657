import { equal, ok, rejects } from "node:assert/strict";
import { delay, poll, stays } from "./poll.ts";

Deno.test("poll() returns the first defined value and retries errors", async () => {
  let calls = 0;
  const value = await poll(() => {
    calls++;
    if (calls === 1) throw new Error("not yet");
    return calls === 3 ? "done" : undefined;
  }, { description: "the third call", intervalMs: 1 });
  equal(value, "done");
  equal(calls, 3);
});

Deno.test("poll() times out naming what it waited for, with the last error as cause", async () => {
  const error = await poll(() => {
    throw new Error("still broken");
  }, { description: "a broken thing", timeoutMs: 20, intervalMs: 5 }).catch((error) => error);
  ok(error instanceof Error);
  equal(error.message, "Timed out after 20 ms waiting for a broken thing");
  equal((error.cause as Error).message, "still broken");
});

Deno.test("poll() stops when its signal aborts", async () => {
  const controller = new AbortController();
  const waiting = poll(() => undefined, { description: "never", signal: controller.signal });
  controller.abort(new Error("stopped by test"));
  await rejects(waiting, { message: "stopped by test" });
});

Deno.test("delay() rejects with the signal's reason", async () => {
  await rejects(delay(10, AbortSignal.abort(new Error("early"))), { message: "early" });
});

Deno.test("stays() checks for the whole period, to the end", async () => {
  let calls = 0;
  const started = Date.now();
  await stays(() => {
    calls++;
  }, { description: "nothing to change", forMs: 50, intervalMs: 10 });
  ok(Date.now() - started >= 50, "it waited the whole period");
  ok(calls >= 3, `checked ${calls} times`);
});

Deno.test("stays() fails at the first check that throws, naming what stopped holding", async () => {
  let calls = 0;
  const error = await stays(() => {
    if (++calls === 3) throw new Error("changed");
  }, { description: "the value to stay", forMs: 1_000, intervalMs: 5 }).catch((error) => error);
  ok(error instanceof Error);
  ok(
    /^Expected the value to stay for 1000 ms, but it stopped holding after \d+ ms$/.test(
      error.message,
    ),
    error.message,
  );
  equal((error.cause as Error).message, "changed");
  equal(calls, 3);
});

Deno.test("stays() sees a change made just before the period ends", async () => {
  let value = "before";
  setTimeout(() => value = "after", 40);
  await rejects(
    stays(() => equal(value, "before"), { description: "the value", forMs: 45, intervalMs: 30 }),
    { message: /^Expected the value for 45 ms, but it stopped holding after \d+ ms$/ },
  );
});
