import { deepStrictEqual } from "node:assert/strict";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { Propagation } from "./propagation.ts";

function recording() {
  const clock = new FakeClock(1_000);
  const told: string[] = [];
  const propagation = new Propagation({
    onPropagated: (source, ms) => told.push(`${source} ${ms}`),
    clock,
  });
  return { clock, told, propagation };
}

Deno.test("Propagation tells the delay from a source's first change to the reconcile's first write, once", async () => {
  const { clock, told, propagation } = recording();
  propagation.changed("east", "shop/web");
  await clock.advance(30);
  propagation.changed("east", "shop/web"); // a later change of the same source: the first counts
  propagation.changed("north", "shop/web");
  await clock.advance(20);
  await propagation.during("shop/web", () => {
    propagation.written("shop/web");
    propagation.written("shop/web");
    return Promise.resolve("done");
  }, () => true);
  deepStrictEqual(told, ["east 50", "north 20"]);
});

Deno.test("Propagation: a reconcile that fails or does not settle keeps the changes, with their first time", async () => {
  const { clock, told, propagation } = recording();
  propagation.changed("east", "shop/web");
  await clock.advance(10);
  await propagation.during("shop/web", () => Promise.reject(new Error("409")), () => true)
    .catch(() => {});
  await propagation.during("shop/web", () => Promise.resolve("requeue"), () => false);
  propagation.changed("east", "shop/web");
  await clock.advance(15);
  await propagation.during("shop/web", () => {
    propagation.written("shop/web");
    return Promise.resolve("done");
  }, () => true);
  deepStrictEqual(told, ["east 25"]);
  // A settled reconcile without a write tells nothing, and forgets.
  propagation.changed("east", "shop/web");
  await propagation.during("shop/web", () => Promise.resolve("done"), () => true);
  await propagation.during("shop/web", () => {
    propagation.written("shop/web");
    return Promise.resolve("done");
  }, () => true);
  deepStrictEqual(told, ["east 25"]);
});
