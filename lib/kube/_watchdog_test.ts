import { equal, ok } from "node:assert/strict";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { Watchdog } from "./_watchdog.ts";
import { WatchTimeoutError } from "./watch_timeout_error.ts";

const request = "WATCH https://east.example/api/v1/services";

function watchdog(clock: FakeClock): Watchdog {
  return new Watchdog({
    request,
    openTimeoutMs: 30_000,
    idleMs: 150_000,
    deadlineMs: 400_000,
    clock,
  });
}

function reason(dog: Watchdog): WatchTimeoutError {
  ok(dog.signal.reason instanceof WatchTimeoutError, String(dog.signal.reason));
  return dog.signal.reason;
}

Deno.test("Watchdog ends a watch the server has not answered within the open bound", async () => {
  const clock = new FakeClock();
  const dog = watchdog(clock);
  await clock.advance(29_999);
  equal(dog.signal.aborted, false);
  await clock.advance(1);
  equal(reason(dog).bound, "open");
  equal(reason(dog).message, `${request} got no answer within 30 s`);
});

Deno.test("Watchdog ends an open watch once it has been silent for the idle bound, counted from its last byte", async () => {
  const clock = new FakeClock();
  const dog = watchdog(clock);
  await clock.advance(10_000);
  dog.opened();
  await clock.advance(100_000);
  dog.heard();
  await clock.advance(149_999);
  equal(dog.signal.aborted, false, "the byte at 110 s moved the bound to 260 s");
  await clock.advance(1);
  equal(reason(dog).bound, "idle");
  equal(reason(dog).message, `${request} received nothing for 150 s, so it is taken as broken`);
  dog.stop();
});

Deno.test("Watchdog ends a watch that is still open at its deadline, however busy", async () => {
  const clock = new FakeClock();
  const dog = watchdog(clock);
  dog.opened();
  for (let second = 0; second < 399; second++) {
    await clock.advance(1_000);
    dog.heard();
  }
  equal(dog.signal.aborted, false);
  await clock.advance(1_000);
  equal(reason(dog).bound, "deadline");
  equal(
    reason(dog).message,
    `${request} was still open 400 s after it began, past its own timeout`,
  );
});

Deno.test("Watchdog passes no bound once stopped", async () => {
  const clock = new FakeClock();
  const dog = watchdog(clock);
  dog.stop();
  await clock.advance(1_000_000);
  equal(dog.signal.aborted, false);
  equal(clock.pending.length, 0);
});

Deno.test("Watchdog applies an idle bound shorter than the open bound from the moment the watch opens", async () => {
  const clock = new FakeClock();
  const dog = new Watchdog({
    request,
    openTimeoutMs: 30_000,
    idleMs: 300,
    deadlineMs: 400_000,
    clock,
  });
  await clock.advance(1_000);
  dog.opened();
  await clock.advance(299);
  equal(dog.signal.aborted, false);
  await clock.advance(1);
  equal(reason(dog).bound, "idle");
});
