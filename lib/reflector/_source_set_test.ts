import { deepStrictEqual, equal } from "node:assert/strict";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { configFromUrl } from "../kube/config/client_config.ts";
import { Source } from "./source.ts";
import type { SourceConfig } from "./source_config.ts";
import { SourceSet, type SourceSetOptions } from "./_source_set.ts";

// Nothing listens on port 1: the sources run, never reach it, and never sync.
const at = (name: string, selector = "export=yes"): SourceConfig => ({
  name,
  config: configFromUrl("http://127.0.0.1:1"),
  selector,
});

function recordingSet(initial: SourceConfig[], removeGraceMs: number) {
  const clock = new FakeClock();
  const retired: string[] = [];
  const options: SourceSetOptions = {
    make: (options) => new Source({ ...options, clock }),
    removeGraceMs,
    clock,
    onSynced: () => {},
    onRetired: (source) => retired.push(source.name),
  };
  return { set: new SourceSet(initial, options), clock, retired };
}

const names = (sources: Source[]) => sources.map((source) => source.name);

Deno.test("SourceSet.update() reports what it added, changed and removed, and leaves the rest running", async () => {
  const { set } = recordingSet([at("east"), at("north")], 0);
  const stop = new AbortController();
  const running = set.run(stop.signal);
  const [eastBefore, north] = set.running;
  deepStrictEqual(set.update([at("east", "export=gold"), at("north"), at("south")]), {
    added: ["south"],
    removed: [],
    changed: ["east"],
  });
  equal(set.running[1], north, "an unchanged source is the same running source");
  // Until the restarted east has synced, the one it replaced counts in its place.
  equal(set.counted[0], eastBefore);
  equal(set.listed[0], set.running[0]);
  equal(set.running[0] === eastBefore, false, "east was restarted");
  deepStrictEqual(names(set.running), ["east", "north", "south"]);
  deepStrictEqual(set.update([at("east", "export=gold"), at("north"), at("south")]), {
    added: [],
    removed: [],
    changed: [],
  });
  stop.abort();
  await running;
});

Deno.test("SourceSet: a removed source counts for the grace, then is retired; added back, it is replaced at once", async () => {
  const { set, clock, retired } = recordingSet([at("east"), at("north")], 5_000);
  const stop = new AbortController();
  const running = set.run(stop.signal);
  deepStrictEqual(set.update([at("north")]).removed, ["east"]);
  deepStrictEqual(names(set.running), ["north"]);
  deepStrictEqual(names(set.counted), ["north", "east"]);
  equal(set.retiring("east"), true);
  await clock.advance(4_999);
  deepStrictEqual(retired, []);
  await clock.advance(1);
  deepStrictEqual(retired, ["east"]);
  deepStrictEqual(names(set.counted), ["north"]);

  set.update([]);
  deepStrictEqual(set.update([at("north")]).added, ["north"]);
  await clock.advance(5_000);
  deepStrictEqual(retired, ["east"], "north came back inside its grace: never retired");
  deepStrictEqual(names(set.counted), ["north"]);
  stop.abort();
  await running;
});

Deno.test("SourceSet: a grace of 0 retires a removed source within update()", async () => {
  const { set, retired } = recordingSet([at("east")], 0);
  const stop = new AbortController();
  const running = set.run(stop.signal);
  set.update([]);
  deepStrictEqual(retired, ["east"]);
  deepStrictEqual(names(set.counted), []);
  stop.abort();
  await running;
});
