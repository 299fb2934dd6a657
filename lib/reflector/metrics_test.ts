import { equal, ok } from "node:assert/strict";
import { Registry } from "prom-client";
import { reflectorMetrics } from "./metrics.ts";

Deno.test("reflectorMetrics() gauges read only the Reflector observed last", async () => {
  const registry = new Registry();
  const metrics = reflectorMetrics(registry);
  metrics.observe({ queueLength: 3, mirrors: 7, sourcesSynced: { east: true, west: false } });
  let text = await registry.metrics();
  ok(text.includes('service_reflector_source_synced{source="east"} 1'), text);
  ok(text.includes('service_reflector_source_synced{source="west"} 0'), text);
  ok(text.includes("service_reflector_mirrors 7"), text);

  // A replica that stops leading observes an idle state: no source series remain.
  metrics.observe({ queueLength: 0, mirrors: 0, sourcesSynced: {} });
  text = await registry.metrics();
  equal(text.includes("service_reflector_source_synced{"), false, text);
  ok(text.includes("service_reflector_mirrors 0"), text);
  ok(text.includes("service_reflector_queue_depth 0"), text);
});
