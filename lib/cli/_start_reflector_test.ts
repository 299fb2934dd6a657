import { deepEqual, equal, ok } from "node:assert/strict";
import type { Lease } from "kubernetes-types/coordination/v1.d.ts";
import { Registry } from "prom-client";
import { withClusters } from "../../tests/cluster/mod.ts";
import { adminConfig, tokenConfig } from "../../tests/support/client_configs.ts";
import { withTempDir } from "../../tests/support/kubeconfig_fixtures.ts";
import { applyClusterRole, installIdentity } from "../../tests/support/manifests_identity.ts";
import { poll } from "../../tests/support/poll.ts";
import { LeaderElector } from "../kube/leader_election.ts";
import { leases } from "../kube/resource.ts";
import { RestClient } from "../kube/rest.ts";
import { Transport } from "../kube/transport.ts";
import type { ReflectorSettings } from "./_reflector_settings.ts";
import { type LoggedLine, logRecorder, messages } from "./_cli_fixtures.ts";
import { reflectorDrainMs, startReflector } from "./_start_reflector.ts";

const settings: ReflectorSettings = {
  workers: 1,
  legacyEndpoints: false,
  createNamespaces: true,
  resyncMs: 600_000,
  staleAction: "not-ready",
  removeGraceMs: 0,
  nameTemplate: "{name}",
};

async function metric(registry: Registry, name: string): Promise<string | undefined> {
  return (await registry.metrics()).split("\n").find((line) => line.startsWith(`${name} `));
}

function candidate(rest: RestClient, identity: string): LeaderElector {
  return new LeaderElector({
    rest,
    namespace: "default",
    name: "stage",
    identity,
    leaseDurationMs: 3_000,
    renewDeadlineMs: 2_000,
    retryPeriodMs: 200,
  });
}

Deno.test("startReflector() on a real cluster", async (t) => {
  await withClusters(["reflector-stage"], async ([cluster]) => {
    if (!cluster) throw new Error("cluster missing");
    using transport = new Transport(adminConfig(cluster));
    const host = new RestClient(transport);

    await t.step(
      "without election, runs one Reflector until its signal aborts, ready once the host synced",
      async () => {
        const { logger, lines } = logRecorder();
        const registry = new Registry();
        const stop = new AbortController();
        const started = startReflector({ host, sources: [] }, {
          settings,
          registry,
          logger,
          signal: stop.signal,
        });
        const [ready] = started.ready ?? [];
        try {
          deepEqual([ready?.name, started.live], ["reflector", undefined]);
          await poll(() => ready?.check() === undefined || undefined, { description: "synced" });
          ok(lines.some((line) => line.msg === "no sources configured yet: the Reflector is idle"));
        } finally {
          stop.abort();
          await Promise.all(started.tasks ?? []);
        }
        equal(ready?.check(), "host caches not synced", "no Reflector runs any more");
        equal(lines.at(-1)?.msg, "stopped");
        equal(await metric(registry, "service_reflector_mirrors"), "service_reflector_mirrors 0");
      },
    );

    await t.step(
      "a permission the settings need that the host does not grant is one warning naming it",
      async () => {
        await withTempDir(async (dir) => {
          const { token } = await installIdentity(cluster, dir);
          await applyClusterRole(cluster, { resource: "endpointslices", verbs: ["update"] });
          using asServiceAccount = new Transport(tokenConfig(cluster, token));
          const { logger, lines } = logRecorder();
          const stop = new AbortController();
          const started = startReflector({ host: new RestClient(asServiceAccount), sources: [] }, {
            settings,
            registry: new Registry(),
            logger,
            signal: stop.signal,
          });
          try {
            await poll(
              () => lines.some((line) => line.msg === "host permissions checked") || undefined,
              { description: "the permissions checked" },
            );
          } finally {
            stop.abort();
            await Promise.all(started.tasks ?? []);
            await applyClusterRole(cluster);
          }
          const warned = (lines as (LoggedLine & Record<string, unknown>)[])
            .filter((line) => line.msg.startsWith("the host does not grant a permission"))
            .map(({ verb, resource, group, why }) => ({ verb, resource, group, why }));
          deepEqual(warned, [{
            verb: "update",
            resource: "endpointslices",
            group: "discovery.k8s.io",
            why: "mirror slices",
          }]);
        });
      },
    );

    await t.step(
      "under election, a standby is ready and runs nothing, leads once the Lease is free, and releases it after its Reflector stopped",
      async () => {
        const other = candidate(host, "other");
        const otherStop = new AbortController();
        const otherRun = other.run(otherStop.signal, {
          onStartedLeading: (leading) =>
            new Promise<void>((resolve) => leading.addEventListener("abort", () => resolve())),
        });
        const { logger, lines } = logRecorder();
        const registry = new Registry();
        const stop = new AbortController();
        const ours = candidate(host, "ours");
        let started: ReturnType<typeof startReflector> | undefined;
        try {
          await poll(() => other.isLeader || undefined, { description: "the other leading" });
          started = startReflector({
            host,
            sources: [],
            election: { elector: ours, retryPeriodMs: 200, leaseDurationMs: 3_000 },
          }, { settings, registry, logger, signal: stop.signal });
          const [live] = started.live ?? [];
          const [ready] = started.ready ?? [];
          await poll(() => ours.leader === "other" || undefined, { description: "a standby" });
          deepEqual([live?.name, live?.check(), ready?.check()], [
            "leader-election",
            undefined,
            undefined,
          ]);
          equal(await metric(registry, "service_reflector_leader"), "service_reflector_leader 0");
          ok(!lines.some((line) => line.msg === "started leading"), "a standby runs no Reflector");

          otherStop.abort();
          await otherRun;
          const leading = async () =>
            (await metric(registry, "service_reflector_leader")) === "service_reflector_leader 1";
          await poll(async () => await leading() || undefined, {
            description: "ours leading",
            timeoutMs: 10_000,
          });
          await poll(() => ready?.check() === undefined || undefined, { description: "synced" });
        } finally {
          otherStop.abort();
          stop.abort();
          await Promise.all([otherRun, ...started?.tasks ?? []]);
        }
        const lease = await host.get<Lease>(leases, "stage", { namespace: "default" });
        equal(lease.spec?.holderIdentity, "", "the Lease was released");
        const logged = messages(lines);
        const stopped = logged.indexOf("reflector: stopped");
        ok(
          stopped >= 0 && stopped < logged.indexOf("leader-election: stopped leading"),
          logged.join("\n"),
        );
      },
    );
  });
});

Deno.test("reflectorDrainMs() stays inside the Lease a leader last renewed", () => {
  equal(reflectorDrainMs(), 5_000);
  equal(reflectorDrainMs({ leaseDurationMs: 15_000, retryPeriodMs: 2_000 }), 5_000);
  equal(reflectorDrainMs({ leaseDurationMs: 3_000, retryPeriodMs: 1_000 }), 2_000);
});
