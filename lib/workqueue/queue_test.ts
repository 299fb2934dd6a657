import { deepStrictEqual, equal, ok } from "node:assert/strict";
import fc from "fast-check";
import { Queue } from "./queue.ts";
import { flush, track } from "../../tests/support/promise_state.ts";

/** Takes a key from `queue`, which must have one ready. */
async function take(queue: Queue): Promise<string | undefined> {
  const got = track(queue.get());
  await flush();
  equal(got.settled, true, "get() should not wait when a key is queued");
  return got.value;
}

Deno.test("Queue.add() queues a key once however often it is added before get()", async () => {
  const queue = new Queue();
  for (const key of ["c", "a", "c", "b", "a", "c"]) queue.add(key);
  equal(queue.len(), 3);
  deepStrictEqual([await take(queue), await take(queue), await take(queue)], ["c", "a", "b"]);
  equal(queue.len(), 0);
});

Deno.test("Queue.get() hands a key re-added during processing out again only after done()", async () => {
  const queue = new Queue();
  queue.add("a");
  equal(await take(queue), "a");
  queue.add("a");
  equal(queue.len(), 0);
  const second = track(queue.get());
  await flush();
  equal(second.settled, false);
  queue.add("b");
  await flush();
  equal(second.value, "b");
  queue.done("a");
  equal(queue.len(), 1);
  equal(await take(queue), "a");
});

Deno.test("Queue.done() queues a key re-added several times during processing exactly once", async () => {
  const queue = new Queue();
  queue.add("a");
  await take(queue);
  queue.add("a");
  queue.add("a");
  queue.done("a");
  queue.add("a");
  equal(queue.len(), 1);
  equal(await take(queue), "a");
  queue.done("a");
  equal(queue.len(), 0);
});

Deno.test("Queue.done() ignores a key that is not being processed", async () => {
  const queue = new Queue();
  queue.add("a");
  queue.done("a");
  queue.done("never-added");
  equal(queue.len(), 1);
  equal(await take(queue), "a");
});

Deno.test("Queue.get() serves concurrent waiters in the order they called", async () => {
  const queue = new Queue();
  const waiters = [queue.get(), queue.get(), queue.get()];
  queue.add("a");
  queue.add("b");
  queue.add("a");
  queue.add("c");
  deepStrictEqual(await Promise.all(waiters), ["a", "b", "c"]);
});

Deno.test("Queue.shutDown() resolves every get() with undefined and ignores later adds", async () => {
  const queue = new Queue();
  const waiting = queue.get();
  queue.shutDown();
  equal(await waiting, undefined);
  queue.add("a");
  equal(queue.len(), 0);
  equal(await queue.get(), undefined);
  equal(queue.shuttingDown(), true);
});

Deno.test("Queue.shutDown() stops handing out keys still queued", async () => {
  const queue = new Queue();
  queue.add("a");
  queue.shutDown();
  equal(await queue.get(), undefined);
});

Deno.test("Queue.shutDownWithDrain() hands out queued keys and resolves once all are done", async () => {
  const queue = new Queue();
  queue.add("a");
  queue.add("b");
  equal(await take(queue), "a");
  const drained = track(queue.shutDownWithDrain());
  equal(queue.shuttingDown(), true);
  queue.add("c");
  equal(await take(queue), "b");
  equal(await take(queue), undefined);
  queue.done("a");
  await flush();
  equal(drained.settled, false);
  queue.done("b");
  await flush();
  equal(drained.settled, true);
});

Deno.test("Queue.shutDownWithDrain() waits for a key re-added during processing to run again", async () => {
  const queue = new Queue();
  queue.add("a");
  await take(queue);
  queue.add("a");
  const drained = track(queue.shutDownWithDrain());
  queue.done("a");
  await flush();
  equal(drained.settled, false);
  equal(await take(queue), "a");
  queue.done("a");
  await flush();
  equal(drained.settled, true);
  equal(await queue.get(), undefined);
});

Deno.test("Queue.shutDownWithDrain() on an idle queue releases waiters and resolves", async () => {
  const queue = new Queue();
  const waiting = queue.get();
  await queue.shutDownWithDrain();
  equal(await waiting, undefined);
});

Deno.test("Queue.shutDown() during a drain resolves the drain without waiting for done()", async () => {
  const queue = new Queue();
  queue.add("a");
  queue.add("b");
  await take(queue);
  const drained = queue.shutDownWithDrain();
  queue.shutDown();
  await drained;
  equal(await queue.get(), undefined);
});

type Op =
  | { kind: "add"; key: string }
  | { kind: "get"; worker: number }
  | { kind: "done"; worker: number };

const WORKERS = 3;
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("add" as const), key: fc.constantFrom("a", "b", "c", "d") }),
  fc.record({ kind: fc.constant("get" as const), worker: fc.nat(WORKERS - 1) }),
  fc.record({ kind: fc.constant("done" as const), worker: fc.nat(WORKERS - 1) }),
);

Deno.test("Queue keeps keys exclusive, unique and never lost under random add/get/done", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 80 }), async (ops) => {
      const queue = new Queue();
      const held: (string | undefined)[] = Array(WORKERS).fill(undefined);
      const waiting: boolean[] = Array(WORKERS).fill(false);
      const violations: string[] = [];
      // A logical time per event: a key needs processing while its last add
      // is later than its last hand-out.
      let time = 0;
      const lastAdded = new Map<string, number>();
      const lastStarted = new Map<string, number>();
      const received = (worker: number, key: string | undefined) => {
        waiting[worker] = false;
        if (key === undefined) return;
        // (a) never held by two workers at once.
        if (held.includes(key)) violations.push(`${key} handed to worker ${worker} while held`);
        held[worker] = key;
        lastStarted.set(key, time++);
      };
      const needsProcessing = (key: string) =>
        (lastAdded.get(key) ?? -1) > (lastStarted.get(key) ?? -1);

      for (const op of ops) {
        if (op.kind === "add") {
          queue.add(op.key);
          lastAdded.set(op.key, time++);
        } else if (op.kind === "get") {
          if (waiting[op.worker] || held[op.worker] !== undefined) continue;
          waiting[op.worker] = true;
          const worker = op.worker;
          queue.get().then((key) => received(worker, key));
        } else {
          const key = held[op.worker];
          if (key === undefined) continue;
          held[op.worker] = undefined;
          queue.done(key);
        }
        await flush();
        deepStrictEqual(violations, []);
        // (c) the queue holds each key needing processing and not held exactly once.
        const expected = [...lastAdded.keys()].filter((key) =>
          needsProcessing(key) && !held.includes(key)
        );
        equal(queue.len(), expected.length);
        if (waiting.includes(true)) equal(queue.len(), 0);
      }

      const drained = track(queue.shutDownWithDrain());
      await flush();
      // No adds are accepted any more, so each key runs at most twice more.
      let handOutsLeft = 8;
      for (let worker = 0; worker < WORKERS; worker++) {
        for (;; handOutsLeft--) {
          ok(handOutsLeft >= 0, "the drain keeps handing out keys");
          const key = held[worker];
          if (key !== undefined) {
            held[worker] = undefined;
            queue.done(key);
          }
          const next = await queue.get();
          if (next === undefined) break;
          received(worker, next);
        }
      }
      await flush();
      deepStrictEqual(violations, []);
      equal(drained.settled, true);
      // (b) every key added after its last hand-out was handed out again.
      deepStrictEqual([...lastAdded.keys()].filter(needsProcessing), []);
    }),
    { numRuns: 200 },
  );
});
