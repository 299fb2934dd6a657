import { deepStrictEqual, equal } from "node:assert/strict";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { FakeUpstream } from "../../tests/support/emitter_upstream.ts";
import { type ServedEvent, View } from "./view.ts";

const exported = (service: Service) => service.metadata?.labels?.["export"] === "yes";

function setup() {
  const upstream = new FakeUpstream();
  const view = new View(upstream, {
    selectsService: exported,
    clock: new FakeClock(1_000),
    historySize: 50,
  });
  upstream.view = view;
  const events: string[] = [];
  view.subscribe((event: ServedEvent) =>
    events.push(
      `${event.type} ${event.kind} ${event.object.metadata?.name} @${event.resourceVersion}`,
    )
  );
  return { upstream, view, events };
}

Deno.test("View serves selected Services with their endpoints, and nothing before start()", () => {
  const { upstream, view, events } = setup();
  upstream.service("shop", "web", { export: "yes" });
  upstream.service("shop", "db");
  upstream.slice("shop", "web-abc", "web", ["10.0.0.1"]);
  upstream.slice("shop", "db-abc", "db", ["10.0.0.2"]);
  upstream.endpointsOf("shop", "web", ["10.0.0.1"]);
  equal(view.started, false);
  deepStrictEqual([...view.objects("services")], []);

  view.start();
  equal(view.resourceVersion, 1_000_000, "the first version is the start time in ms times 1000");
  deepStrictEqual([...view.objects("services")].map((object) => object.metadata?.name), ["web"]);
  deepStrictEqual([...view.objects("endpointslices")].map((object) => object.metadata?.name), [
    "web-abc",
  ]);
  deepStrictEqual([...view.objects("endpoints")].map((object) => object.metadata?.name), ["web"]);
  equal(view.get("services", "shop/web")?.metadata?.resourceVersion, "1000000");
  deepStrictEqual(events, [], "the initial state is not a change");
});

Deno.test("View turns selector changes into additions and deletions of a Service and its slices", () => {
  const { upstream, view, events } = setup();
  upstream.service("shop", "db");
  upstream.slice("shop", "db-abc", "db", ["10.0.0.2"]);
  view.start();
  upstream.service("shop", "db", { export: "yes" });
  upstream.slice("shop", "db-abc", "db", ["10.0.0.2", "10.0.0.3"]);
  upstream.service("shop", "db", {});
  deepStrictEqual(events, [
    "ADDED services db @1000001",
    "ADDED endpointslices db-abc @1000002",
    "MODIFIED endpointslices db-abc @1000003",
    "DELETED services db @1000004",
    "DELETED endpointslices db-abc @1000005",
  ]);
  equal(view.get("endpointslices", "shop/db-abc"), undefined);
});

Deno.test("View never serves what a Reflector wrote, nor the slices of a mirror", () => {
  const { upstream, view, events } = setup();
  view.start();
  upstream.service("shop", "mirror", {
    export: "yes",
    "app.kubernetes.io/managed-by": "service-reflector",
  });
  upstream.slice("shop", "mirror-1", "mirror", ["10.9.0.1"]);
  upstream.service("shop", "old", { export: "yes" }, { metadata: { annotations: {} } });
  upstream.slice("shop", "ours", "old", ["10.9.0.2"], {
    "endpointslice.kubernetes.io/managed-by": "service-reflector.squat.ai",
  });
  deepStrictEqual(events, ["ADDED services old @1000001"]);
});

Deno.test("View ignores upstream changes that do not change what it serves", () => {
  const { upstream, view, events } = setup();
  view.start();
  upstream.service("shop", "db");
  upstream.slice("shop", "db-1", "db", ["10.0.0.1"]);
  upstream.deleteService("shop", "db");
  deepStrictEqual(events, []);
  equal(view.resourceVersion, 1_000_000);
});

Deno.test("View records changes in its history for watch replay", () => {
  const { upstream, view } = setup();
  view.start();
  upstream.service("shop", "web", { export: "yes" });
  upstream.service("shop", "web", { export: "yes", tier: "front" });
  upstream.deleteService("shop", "web");
  const replay = view.history("services").since(1_000_001) ?? [];
  deepStrictEqual(replay.map((event) => [event.type, event.resourceVersion]), [[
    "MODIFIED",
    1_000_002,
  ], [
    "DELETED",
    1_000_003,
  ]]);
  equal(
    replay[1]?.object.metadata?.resourceVersion,
    "1000003",
    "a deletion carries its own version",
  );
  equal(replay[1]?.previous?.metadata?.labels?.["tier"], "front");
});
