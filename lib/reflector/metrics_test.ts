import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { Registry } from "prom-client";
import { StatusError } from "../kube/status_error.ts";
import { TransportError } from "../kube/transport.ts";
import { WatchStreamError } from "../kube/watch_stream.ts";
import { sourceState } from "../../tests/support/source_states.ts";
import type { Write } from "./applier.ts";
import { idleGauges, reflectorMetrics } from "./metrics.ts";

Deno.test("reflectorMetrics() gauges read only the Reflector observed last", async () => {
  const registry = new Registry();
  const metrics = reflectorMetrics(registry);
  metrics.observe({
    queueLength: 3,
    mirrors: 7,
    mirrorsInConflict: 2,
    namesInCollision: 1,
    sourceStates: [
      sourceState({
        synced: true,
        stale: true,
        exported: 3,
        contributed: 2,
        conflicts: 1,
        lastContactMs: 1_700_000_000_500,
      }),
      sourceState({ name: "west" }),
    ],
  });
  let text = await registry.metrics();
  ok(text.includes('service_reflector_source_synced{source="east"} 1'), text);
  ok(text.includes('service_reflector_source_synced{source="west"} 0'), text);
  ok(text.includes('service_reflector_source_up{source="east"} 0'), text);
  ok(text.includes('service_reflector_source_stale{source="east"} 1'), text);
  ok(text.includes('service_reflector_source_stale{source="west"} 0'), text);
  ok(text.includes('service_reflector_source_services_exported{source="east"} 3'), text);
  ok(text.includes('service_reflector_source_mirrors_contributed{source="east"} 2'), text);
  ok(text.includes('service_reflector_source_mirrors_in_conflict{source="east"} 1'), text);
  ok(text.includes('service_reflector_source_mirrors_contributed{source="west"} 0'), text);
  ok(
    text.includes(
      'service_reflector_source_last_contact_timestamp_seconds{source="east"} 1700000000.5',
    ),
    text,
  );
  equal(
    text.includes('service_reflector_source_last_contact_timestamp_seconds{source="west"}'),
    false,
    "never reached: no sample",
  );
  ok(text.includes("service_reflector_mirrors 7"), text);
  ok(text.includes("service_reflector_mirrors_in_conflict 2"), text);
  ok(text.includes("service_reflector_mirror_names_in_collision 1"), text);

  // A replica that stops leading observes an idle state: no source series remain.
  metrics.observe(idleGauges);
  text = await registry.metrics();
  equal(text.includes("service_reflector_source_synced{"), false, text);
  ok(text.includes("service_reflector_mirrors 0"), text);
  ok(text.includes("service_reflector_queue_depth 0"), text);
});

Deno.test("reflectorMetrics() counts a source's failures by phase and kind, and none of the host's", async () => {
  const registry = new Registry();
  const metrics = reflectorMetrics(registry);
  const refused = new StatusError("LIST https://east.example/api/v1/services", {
    code: 403,
    message: "no",
  });
  metrics.onInformerError({ cluster: "east", phase: "list", error: refused });
  metrics.onInformerError({ cluster: "east", phase: "list", error: refused });
  const timedOut = new TransportError(
    "GET https://east.example/api",
    new DOMException("t", "TimeoutError"),
  );
  metrics.onInformerError({ cluster: "east", phase: "discovery", error: timedOut });
  metrics.onInformerError({ cluster: "east", phase: "watch", error: new WatchStreamError("cut") });
  metrics.onInformerError({ cluster: "host", phase: "watch", error: refused });
  const text = await registry.metrics();
  const series = text.split("\n").filter((line) =>
    line.startsWith("service_reflector_source_errors_total{")
  );
  deepStrictEqual(series.sort(), [
    'service_reflector_source_errors_total{source="east",phase="discovery",kind="timeout"} 1',
    'service_reflector_source_errors_total{source="east",phase="list",kind="http_403"} 2',
    'service_reflector_source_errors_total{source="east",phase="watch",kind="stream"} 1',
  ]);
});

Deno.test("reflectorMetrics() counts the writes the host denied by verb, resource and code", async () => {
  const registry = new Registry();
  const metrics = reflectorMetrics(registry);
  const write: Write = {
    verb: "update",
    resource: "endpointslices",
    key: "shop/web-1",
    mirror: "shop/web",
  };
  const forbidden = new StatusError("PUT https://west.example/apis/...", {
    code: 403,
    reason: "Forbidden",
  });
  metrics.onWriteDenied(write, forbidden);
  metrics.onWriteDenied(write, forbidden);
  metrics.onWriteDenied(
    { ...write, verb: "create", resource: "services" },
    new StatusError("POST https://west.example/api/v1/...", { code: 401 }),
  );
  const series = (await registry.metrics()).split("\n")
    .filter((line) => line.startsWith("service_reflector_writes_denied_total{")).sort();
  deepStrictEqual(series, [
    'service_reflector_writes_denied_total{verb="create",resource="services",code="401"} 1',
    'service_reflector_writes_denied_total{verb="update",resource="endpointslices",code="403"} 2',
  ]);
});
