import { deepStrictEqual, equal } from "node:assert/strict";
import type { EventNote } from "./events.ts";
import type { ReflectorObserver } from "./observer.ts";
import { Reporter } from "./reporter.ts";
import type { Report } from "./reports.ts";

const owner = { apiVersion: "v1", kind: "Service", namespace: "shop", name: "web", uid: "u1" };

function recording(failEvents = false) {
  const told: string[] = [];
  const events: EventNote[] = [];
  const eventErrors: unknown[] = [];
  const observer: ReflectorObserver = {
    onMergeConflict: (key, conflicts) => told.push(`conflict ${key} ${conflicts.length}`),
    onNameCollision: (key, { winner, losers }) => told.push(`collision ${key} ${winner} ${losers}`),
    onUnowned: (key) => told.push(`unowned ${key}`),
    onNamespaceMissing: (namespace, key) => told.push(`missing ${namespace} ${key}`),
  };
  const reporter = new Reporter({
    observer,
    events: {
      record: (note) => {
        if (failEvents) return Promise.reject(new Error("no events"));
        events.push(note);
        return Promise.resolve(true);
      },
    },
    onEventError: (error) => eventErrors.push(error),
  });
  return { reporter, told, events, eventErrors };
}

const merged = (conflicts: { field: string; sources: string[] }[]): Report => ({
  kind: "merged",
  key: "shop/web",
  owner,
  contributors: ["east", "north"],
  conflicts,
});

Deno.test("Reporter tells a conflict once per change, records an Event each time, and counts it by source", async () => {
  const { reporter, told, events } = recording();
  const portConflict = [{ field: "ports[http]", sources: ["east", "north"] }];
  await reporter.report([merged(portConflict)]);
  await reporter.report([merged(portConflict)]);
  deepStrictEqual(told, ["conflict shop/web 1"], "the same conflict is told once");
  equal(events.length, 2, "each reconcile records (the recorder rate-limits)");
  equal(events[0]?.reason, "MergeConflict");
  equal(
    events[0]?.message,
    "The sources of shop/web disagree; the oldest source Service wins: ports[http] (east wins over north)",
  );
  deepStrictEqual(events[0]?.object, owner);
  equal(reporter.inConflict, 1);
  deepStrictEqual(reporter.countsBySource().get("north"), { contributed: 1, conflicts: 1 });
  // Another winner is another conflict.
  await reporter.report([merged([{ field: "ports[http]", sources: ["north", "east"] }])]);
  deepStrictEqual(told, ["conflict shop/web 1", "conflict shop/web 1"]);
  await reporter.report([merged([])]);
  equal(reporter.inConflict, 0, "agreeing sources clear the conflict");
  deepStrictEqual(reporter.countsBySource().get("east"), { contributed: 1, conflicts: 0 });
});

Deno.test("Reporter: a withdrawn key leaves nothing in conflict, collided or contributed", async () => {
  const { reporter, told } = recording();
  await reporter.report([
    merged([{ field: "type", sources: ["east", "north"] }]),
    { kind: "claimed", key: "shop/web", owner, winner: "merged web", losers: ["east/web"] },
  ]);
  equal(reporter.inCollision, 1);
  deepStrictEqual(told.at(-1), "collision shop/web merged web east/web");
  await reporter.report([{ kind: "withdrawn", key: "shop/web" }]);
  equal(reporter.inConflict, 0);
  equal(reporter.inCollision, 0);
  deepStrictEqual([...reporter.countsBySource()], []);
});

Deno.test("Reporter: an Event that cannot be recorded is the handler's failure, and the rest is still told", async () => {
  const { reporter, told, eventErrors } = recording(true);
  const holder = { ...owner, uid: "theirs" };
  await reporter.report([
    { kind: "unowned", key: "shop/web", holder },
    { kind: "namespace-missing", key: "team/api", namespace: "team" },
  ]);
  deepStrictEqual(told, ["unowned shop/web", "missing team team/api"]);
  equal(eventErrors.length, 1);
});
