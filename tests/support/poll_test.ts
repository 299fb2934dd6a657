import { equal, ok, rejects } from "node:assert/strict";
import { delay, poll } from "./poll.ts";

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
