import { equal, ok, rejects } from "node:assert/strict";
import { holds } from "./holds.ts";

Deno.test("holds() probes until the time is up and resolves while the probe stays true", async () => {
  let probes = 0;
  const started = Date.now();
  await holds(() => ++probes > 0, { description: "a true probe", forMs: 60, intervalMs: 10 });
  ok(Date.now() - started >= 60, `returned after ${Date.now() - started} ms`);
  ok(probes >= 4, `${probes} probes`);
});

Deno.test("holds() fails at the first false probe, naming what stopped holding", async () => {
  let probes = 0;
  const started = Date.now();
  await rejects(
    holds(() => ++probes < 3, {
      description: "fewer than three probes",
      forMs: 5_000,
      intervalMs: 5,
    }),
    /^Error: Expected fewer than three probes for 5000 ms, but it stopped after \d+ ms$/,
  );
  equal(probes, 3);
  ok(Date.now() - started < 1_000, "it did not wait out the period");
});

Deno.test("holds() fails at once when the probe throws", async () => {
  await rejects(
    holds(() => {
      throw new Error("probe broke");
    }, { description: "anything", forMs: 5_000 }),
    { message: "probe broke" },
  );
});
