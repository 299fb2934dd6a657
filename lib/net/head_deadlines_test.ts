import { equal, throws } from "node:assert/strict";
import { PassThrough } from "node:stream";
import { holds } from "../../tests/support/holds.ts";
import { poll } from "../../tests/support/poll.ts";
import { HeadDeadlines } from "./head_deadlines.ts";

const bound = 100;

Deno.test("HeadDeadlines destroys a connection that waits for a head past the bound", async () => {
  const deadlines = new HeadDeadlines(bound);
  const socket = new PassThrough();
  deadlines.watch(socket);
  equal(deadlines.size, 1);
  await poll(() => socket.destroyed || undefined, { description: "destroyed" });
  await poll(() => deadlines.size === 0 || undefined, { description: "forgotten once closed" });
});

Deno.test("HeadDeadlines keeps a connection with a request in flight, and bounds it again once idle", async () => {
  const deadlines = new HeadDeadlines(bound);
  const socket = new PassThrough();
  deadlines.watch(socket);
  deadlines.started(socket);
  deadlines.started(socket); // a pipelined second request
  deadlines.ended(socket);
  await holds(() => !socket.destroyed, {
    description: "kept while one is in flight",
    forMs: 3 * bound,
  });
  deadlines.ended(socket);
  await poll(() => socket.destroyed || undefined, { description: "destroyed once idle" });
});

Deno.test("HeadDeadlines closeWaiting() destroys the idle connections only", async () => {
  const deadlines = new HeadDeadlines(60_000);
  const idle = new PassThrough();
  const busy = new PassThrough();
  deadlines.watch(idle);
  deadlines.watch(busy);
  deadlines.started(busy);
  deadlines.closeWaiting();
  equal(idle.destroyed, true);
  equal(busy.destroyed, false);
  busy.destroy();
  await poll(() => deadlines.size === 0 || undefined, { description: "both forgotten" });
});

Deno.test("HeadDeadlines refuses a bound that is not a positive number", () => {
  for (const timeoutMs of [0, -1, NaN, Infinity]) {
    throws(() => new HeadDeadlines(timeoutMs), {
      name: "RangeError",
      message: "Cannot bound request heads as 'timeoutMs' must be a positive number: " +
        `current value is ${timeoutMs}`,
    });
  }
});
