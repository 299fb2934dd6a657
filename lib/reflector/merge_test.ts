/**
 * One Service exported by two real source clusters ("east", older, and
 * "north") becomes one mirror in a third ("host"), as the Multi-Cluster
 * Services API merges an import: slices from both, ports the union by
 * name, the oldest Service winning a conflict, which is reported and then
 * cleared when that Service goes, with the mirror updated in place.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import { withClusters } from "../../tests/cluster/mod.ts";
import { adminConfig } from "../../tests/support/client_configs.ts";
import { exportByHand } from "../../tests/support/hand_exported.ts";
import { delay, poll } from "../../tests/support/poll.ts";
import { reportedEvents } from "../../tests/support/reported_events.ts";
import { startReflector } from "../../tests/support/reflector_harness.ts";
import { mirrorOf } from "../../tests/support/reflector_mirror.ts";
import { converged, guardUnowned } from "../../tests/faults/invariant.ts";
import { adminViews } from "../../tests/support/source_views.ts";
import { RestClient } from "../kube/rest.ts";
import { Transport } from "../kube/transport.ts";
import { conflictAnnotation } from "../ownership.ts";
import { configFromUrl } from "../kube/config/client_config.ts";
import type { MergeConflict } from "./desired.ts";
import type { SourceConfig } from "./source_config.ts";

const namespace = "shop";

const conflictsOf = (key: string, conflicts: readonly MergeConflict[]) =>
  `${key}: ${conflicts.map(({ field, sources }) => `${field} ${sources.join(" > ")}`).join(", ")}`;

const portsOf = (service: Service | undefined) =>
  (service?.spec?.ports ?? []).map((port) => `${port.name}:${port.port}`);

Deno.test("a Service exported by two sources is one mirror: ports merged, the oldest wins a conflict, reported, then cleared in place", async () => {
  await withClusters(["east", "north", "host"], async ([east, north, host]) => {
    if (!east || !north || !host) throw new Error("clusters missing");
    await exportByHand(east, {
      namespace,
      name: "web",
      ports: { http: 80 },
      addresses: ["10.1.0.1"],
    });
    // Creation times have a resolution of a second: east's Service is the older.
    await delay(1_100);
    await exportByHand(north, {
      namespace,
      name: "web",
      ports: { http: 8080, grpc: 9090 },
      addresses: ["10.2.0.1"],
    });
    using hostTransport = new Transport(adminConfig(host));
    using sources = adminViews({ east, north });
    const { views } = sources;
    const rest = new RestClient(hostTransport);
    const guard = await guardUnowned(rest);
    const configured = views.map(({ name, selector }, index) => ({
      name,
      selector,
      config: adminConfig(index === 0 ? east : north),
    }));
    const told: string[] = [];
    const reflector = startReflector({
      host,
      sources: configured,
      observer: { onMergeConflict: (key, conflicts) => told.push(conflictsOf(key, conflicts)) },
    });
    try {
      await converged(rest, views);
      const merged = await mirrorOf(rest, namespace, "web");
      deepStrictEqual(portsOf(merged.service), ["http:80", "grpc:9090"]);
      deepStrictEqual(merged.endpoints, ["10.1.0.1:true", "10.2.0.1:true"]);
      equal(merged.service?.metadata?.annotations?.[conflictAnnotation], "east,north");
      const [reported] = await reportedEvents(rest, namespace, "web", "MergeConflict");
      ok(reported?.message?.includes("ports[http] (east wins over north)"), reported?.message);
      ok((await reflector.registry.metrics()).includes("service_reflector_mirrors_in_conflict 1"));
      const text = await reflector.registry.metrics();
      for (const source of ["east", "north"]) {
        for (const gauge of ["services_exported", "mirrors_contributed", "mirrors_in_conflict"]) {
          const line = `service_reflector_source_${gauge}{source="${source}"} 1`;
          ok(text.includes(line), `${line} in\n${text}`);
        }
        const count = text.split("\n").find((line) =>
          line.startsWith(`service_reflector_propagation_seconds_count{source="${source}"}`)
        );
        ok(Number(count?.split(" ").at(-1)) >= 1, `a propagation of ${source} observed: ${count}`);
      }

      // East restarted where it cannot sync: its last state stands in, so a change of north's
      // endpoints is mirrored while east's ports, endpoints and win are kept as they were.
      const [eastSource, northSource] = configured as [SourceConfig, SourceConfig];
      const unreachable = { ...eastSource, config: configFromUrl("http://127.0.0.1:1") };
      deepStrictEqual(reflector.reflector.updateSources([unreachable, northSource]).changed, [
        "east",
      ]);
      await exportByHand(north, {
        namespace,
        name: "web",
        ports: { http: 8080, grpc: 9090 },
        addresses: ["10.2.0.1", "10.2.0.2"],
      });
      await poll(
        async () => (await mirrorOf(rest, namespace, "web")).endpoints.length === 3 || undefined,
        {
          description: "north's new endpoint mirrored",
        },
      );
      const restarted = await mirrorOf(rest, namespace, "web");
      deepStrictEqual(portsOf(restarted.service), ["http:80", "grpc:9090"]);
      deepStrictEqual(restarted.endpoints, ["10.1.0.1:true", "10.2.0.1:true", "10.2.0.2:true"]);
      reflector.reflector.updateSources([eastSource, northSource]);
      await converged(rest, views);
      // Told once, however often the key was reconciled while the same sources disagreed.
      ok((reflector.attempts.get(`${namespace}/web`) ?? 0) > 3, "reconciled again and again");
      deepStrictEqual(told, ["shop/web: ports[http] east > north"]);

      // The winner goes: north takes over, in place.
      await east.kubectl("delete", "service", "web", "-n", namespace);
      await converged(rest, views);
      const taken = await mirrorOf(rest, namespace, "web");
      deepStrictEqual(portsOf(taken.service), ["http:8080", "grpc:9090"]);
      deepStrictEqual(taken.endpoints, ["10.2.0.1:true", "10.2.0.2:true"]);
      equal(taken.service?.metadata?.annotations?.[conflictAnnotation], undefined);
      equal(taken.service?.metadata?.uid, merged.service?.metadata?.uid, "never recreated");
      equal(taken.service?.spec?.clusterIP, merged.service?.spec?.clusterIP);
      ok((await reflector.registry.metrics()).includes("service_reflector_mirrors_in_conflict 0"));
      const after = await reflector.registry.metrics();
      ok(after.includes('service_reflector_source_mirrors_contributed{source="east"} 0'), after);
      ok(after.includes('service_reflector_source_mirrors_contributed{source="north"} 1'), after);
      ok(after.includes('service_reflector_source_mirrors_in_conflict{source="north"} 0'), after);
      await guard.untouched();
    } finally {
      await reflector.stop();
    }
  });
});
