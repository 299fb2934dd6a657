import { ok, rejects } from "node:assert/strict";
import { realClock } from "./clock.ts";

Deno.test("realClock.sleep() waits about the time asked", async () => {
  const start = realClock.now();
  await realClock.sleep(20);
  ok(realClock.now() - start >= 19);
});

Deno.test("realClock.sleep() rejects with the signal's reason and leaves no timer", async () => {
  const controller = new AbortController();
  const sleeping = realClock.sleep(60_000, controller.signal);
  controller.abort(new Error("stop"));
  await rejects(sleeping, { message: "stop" });
  await rejects(realClock.sleep(10, AbortSignal.abort(new Error("early"))), { message: "early" });
});
