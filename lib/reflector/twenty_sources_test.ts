/**
 * Twenty sources at once: twenty Emitters, each exporting another team's
 * Services of one real cluster ("many"), reflected into "host". All are
 * mirrored; one source removed while the Reflector runs takes exactly its
 * mirrors away, and no other mirror is written.
 */
import { deepStrictEqual } from "node:assert/strict";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { withClusters } from "../../tests/cluster/mod.ts";
import { converged, guardUnowned, type SourceView } from "../../tests/faults/invariant.ts";
import { noteConvergence } from "../../tests/faults/convergence_log.ts";
import { adminConfig } from "../../tests/support/client_configs.ts";
import { startReflector } from "../../tests/support/reflector_harness.ts";
import { type RunningEmitter, runningEmitter } from "../../tests/support/running_emitter.ts";
import { teamServiceList } from "../../tests/support/team_services.ts";
import { endpointSlices, services } from "../kube/resource.ts";
import { RestClient } from "../kube/rest.ts";
import { Transport } from "../kube/transport.ts";
import { isReflected, sourceKey } from "../ownership.ts";

const namespace = "shop";
const teams = Array.from({ length: 20 }, (_, index) => index + 1);
const perTeam = 3;

/** Every mirror object of the host (Services and slices) with its version, by source. */
async function versionsBySource(host: RestClient): Promise<Map<string, string[]>> {
  const { items: mirrors } = await host.list<Service>(services, { namespace });
  const { items: slices } = await host.list<EndpointSlice>(endpointSlices, { namespace });
  const bySource = new Map<string, string[]>();
  for (const object of [...mirrors, ...slices].filter(isReflected)) {
    const source = object.metadata?.labels?.[sourceKey] ?? "";
    const version = `${object.kind}/${object.metadata?.name}@${object.metadata?.resourceVersion}`;
    bySource.set(source, [...bySource.get(source) ?? [], version].sort());
  }
  return bySource;
}

Deno.test("twenty Emitter sources are all mirrored, and one removed live takes only its own mirrors", async () => {
  await withClusters(["many", "host"], async ([many, host]) => {
    if (!many || !host) throw new Error("clusters missing");
    await many.kubectl("create", "namespace", namespace);
    await many.kubectlWithInput(teamServiceList({ namespace, teams, perTeam }), "apply", "-f", "-");
    const emitters: RunningEmitter[] = [];
    using hostTransport = new Transport(adminConfig(host));
    using manyTransport = new Transport(adminConfig(many));
    const rest = new RestClient(hostTransport);
    const guard = await guardUnowned(rest);
    try {
      for (const team of teams) {
        emitters.push(await runningEmitter(many, { selector: `team=t${team}` }));
      }
      const sources = emitters.map((emitter, index) => ({
        name: `s${index + 1}`,
        config: emitter.config,
        selector: "export=yes",
      }));
      const views: SourceView[] = teams.map((team) => ({
        name: `s${team}`,
        rest: new RestClient(manyTransport),
        selector: `export=yes,team=t${team}`,
      }));
      const started = performance.now();
      const running = startReflector({ host, sources });
      try {
        await converged(rest, views, { timeoutMs: 60_000 });
        await noteConvergence(
          "twenty sources, 60 Services: from start",
          performance.now() - started,
        );

        const before = await versionsBySource(rest);
        const removed = performance.now();
        running.reflector.updateSources(sources.slice(0, -1));
        await converged(rest, views.slice(0, -1));
        await noteConvergence(
          "twenty sources: one removed, its mirrors gone",
          performance.now() - removed,
        );
        const after = await versionsBySource(rest);
        before.delete("s20");
        deepStrictEqual(after, before, "no other source's mirror was written");
        await guard.untouched();
      } finally {
        await running.stop();
      }
    } finally {
      for (const emitter of emitters) await emitter.stop();
    }
  });
});
