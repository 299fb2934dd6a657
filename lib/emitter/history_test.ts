import { deepStrictEqual, equal, throws } from "node:assert/strict";
import fc from "fast-check";
import { History } from "./history.ts";

const event = (resourceVersion: number) => ({ resourceVersion });

Deno.test("History replays events after a version inside its window", () => {
  const history = new History(3, 10);
  deepStrictEqual(history.since(10), []);
  for (const version of [11, 12, 13]) history.push(event(version));
  deepStrictEqual(history.since(11), [event(12), event(13)]);
  deepStrictEqual(history.since(10), [event(11), event(12), event(13)]);
  equal(history.horizon, 10);
});

Deno.test("History moves its horizon as events are evicted", () => {
  const history = new History(2, 10);
  for (const version of [11, 12, 13]) history.push(event(version));
  equal(history.horizon, 11);
  equal(history.since(10), undefined, "11 was evicted, so a watch from 10 would miss it");
  deepStrictEqual(history.since(11), [event(12), event(13)]);
  history.reset(20);
  equal(history.size, 0);
  equal(history.since(13), undefined);
  deepStrictEqual(history.since(20), []);
});

Deno.test("History refuses a capacity that is not a positive integer", () => {
  throws(() => new History(0, 0), {
    name: "RangeError",
    message: "Cannot create history as 'capacity' must be a positive integer: current value is 0",
  });
});

Deno.test("History never serves a version whose successors it lost", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 0, max: 30 }),
      fc.nat(40),
      (capacity, count, from) => {
        const history = new History(capacity, 0);
        for (let version = 1; version <= count; version++) history.push(event(version));
        const replay = history.since(from);
        const expected = Array.from(
          { length: Math.max(0, count - from) },
          (_, index) => event(from + 1 + index),
        );
        if (replay === undefined) {
          equal(
            from < count - capacity,
            true,
            `refused ${from} with ${count} events in ${capacity}`,
          );
        } else {
          deepStrictEqual(replay, expected);
        }
      },
    ),
    { numRuns: 300 },
  );
});
