/**
 * The MCS dialect on real clusters (`--reflector.api=mcs`): a Service is
 * exported by a ServiceExport of its name, and every host gets a
 * ServiceImport, a derived Service holding the cluster-set IP, and the
 * derived Service's EndpointSlices per source cluster; the oldest export
 * wins, the next takes over in place, and the last unexport removes all.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";

import { type Cluster, installMcsCrds, withClusters } from "../../tests/cluster/mod.ts";

import { converged, guardUnowned } from "../../tests/faults/invariant.ts";

import { importsConverged } from "../../tests/faults/import_invariant.ts";

import { adminViews } from "../../tests/support/source_views.ts";

import { adminConfig } from "../../tests/support/client_configs.ts";

import { exportByHand } from "../../tests/support/hand_exported.ts";

import { hostImport } from "../../tests/support/host_import.ts";

import { setServiceExport } from "../../tests/support/service_exports.ts";

import { holds } from "../../tests/support/holds.ts";

import { delay, poll } from "../../tests/support/poll.ts";

import { startReflector } from "../../tests/support/reflector_harness.ts";

import { noteTiming } from "../../tests/support/noted_timings.ts";

import { isNotFound } from "../kube/status_error.ts";

import { RestClient } from "../kube/rest.ts";

import { Transport } from "../kube/transport.ts";

import {
  derivedServiceAnnotation,
  type ServiceExport,
  serviceExports,
  type ServiceImport,
  serviceImports,
} from "../mcs/api.ts";

import { derivedServiceName } from "./_desired_import.ts";

const namespace = "shop";
const timings = "reflector/mcs";

/** Creates (or deletes) the ServiceExport of `shop/<name>` (default `web`) in `cluster`. */
function serviceExport(cluster: Cluster, exported: boolean, labels = {}, name = "web") {
  const exportedAnnotations = { "example.com/owner": "team-web" };
  return setServiceExport(cluster, {
    namespace,
    name,
    exportedLabels: labels,
    exportedAnnotations,
  }, exported);
}

/** `cluster` exports `shop/web` (http 80) by hand, with one ready endpoint at `address`. */
const exportWeb = (cluster: Cluster, address: string) =>
  exportByHand(cluster, { namespace, name: "web", ports: { http: 80 }, addresses: [address] });

/** The host's import of `shop/web`. */
const importOf = (rest: RestClient) => hostImport(rest, namespace, "web");

Deno.test("mcs: a ServiceExport exports its Service; every cluster of it merges into one ServiceImport, the oldest export winning; the last unexport removes it all", async () => {
  await withClusters(["east", "north", "host"], async ([east, north, host]) => {
    if (!east || !north || !host) throw new Error("clusters missing");
    for (const cluster of [east, north, host]) await installMcsCrds(cluster);
    await exportWeb(east, "10.1.0.1");
    await exportWeb(north, "10.2.0.1");
    await host.kubectl("create", "namespace", namespace);
    using hostTransport = new Transport(adminConfig(host));
    const rest = new RestClient(hostTransport);
    const guard = await guardUnowned(rest);
    const reflector = startReflector({
      host,
      api: "mcs",
      sources: [
        { name: "east", selector: "", config: adminConfig(east) },
        { name: "north", selector: "", config: adminConfig(north) },
      ],
    });
    try {
      await poll(() => reflector.reflector.synced || undefined, { description: "synced" });
      await holds(async () => (await importOf(rest)).serviceImport === undefined, {
        forMs: 1_000,
        description: "no import while no ServiceExport names the Service",
      });

      const exported = performance.now();
      await serviceExport(east, true, { tier: "web" });
      const first = await poll(async () => {
        const found = await importOf(rest);
        const ready = found.serviceImport?.spec?.ips?.length && found.bySource["east"] &&
          found.serviceImport?.status?.clusters?.length;
        return ready ? found : undefined;
      }, { description: "east's export imported" });
      await noteTiming(
        timings,
        "ServiceExport created to its ServiceImport, IPs, clusters and slice",
        performance.now() - exported,
      );
      const { serviceImport, derived } = first;
      equal(serviceImport?.spec?.type, "ClusterSetIP");
      deepStrictEqual(serviceImport?.spec?.ports, [{ name: "http", protocol: "TCP", port: 80 }]);
      deepStrictEqual(serviceImport?.spec?.ips, derived?.spec?.clusterIPs);
      deepStrictEqual(serviceImport?.status?.clusters, [{ cluster: "east" }]);
      equal(serviceImport?.metadata?.labels?.["tier"], "web", "the export's labels travel");
      equal(serviceImport?.metadata?.annotations?.["example.com/owner"], "team-web");
      equal(
        serviceImport?.metadata?.annotations?.[derivedServiceAnnotation],
        derivedServiceName("web"),
      );
      equal(derived?.metadata?.ownerReferences?.[0]?.uid, serviceImport?.metadata?.uid);
      equal(derived?.metadata?.ownerReferences?.[0]?.kind, "ServiceImport");
      const [slice] = first.slices;
      equal(slice?.metadata?.labels?.["kubernetes.io/service-name"], derivedServiceName("web"));
      deepStrictEqual(first.bySource, { east: "10.1.0.1" });
      const clusterIp = derived?.spec?.clusterIP;
      ok(clusterIp && clusterIp !== "None", `derived ClusterIP ${clusterIp}`);

      // Creation times have a resolution of a second: east's export is the older.
      await delay(1_100);
      await serviceExport(north, true, { tier: "north" });
      const both = await poll(async () => {
        const found = await importOf(rest);
        const clusters = found.serviceImport?.status?.clusters?.length;
        return found.bySource["north"] && clusters === 2 ? found : undefined;
      }, { description: "north's export imported, both clusters in the status" });
      deepStrictEqual(both.bySource, { east: "10.1.0.1", north: "10.2.0.1" });
      deepStrictEqual(both.serviceImport?.status?.clusters, [{ cluster: "east" }, {
        cluster: "north",
      }]);
      equal(both.serviceImport?.metadata?.labels?.["tier"], "web", "the oldest export's labels");
      equal(both.derived?.metadata?.uid, derived?.metadata?.uid, "the derived Service stays");

      const unexported = performance.now();
      await serviceExport(east, false);
      const taken = await poll(async () => {
        const found = await importOf(rest);
        const clusters = found.serviceImport?.status?.clusters?.map((each) => each.cluster);
        return found.bySource["east"] === undefined && clusters?.join() === "north" &&
            found.serviceImport?.metadata?.labels?.["tier"] === "north"
          ? found
          : undefined;
      }, { description: "north's export takes over: its labels, its cluster alone" });
      await noteTiming(
        timings,
        "the oldest export withdrawn to the next one's takeover",
        performance.now() - unexported,
      );
      equal(taken.derived?.spec?.clusterIP, clusterIp, "the cluster-set IP never changes");
      equal(taken.serviceImport?.metadata?.uid, serviceImport?.metadata?.uid, "updated in place");
      using sources = adminViews({ east, north }, "");
      await importsConverged(rest, sources.views);

      await serviceExport(north, false);
      await poll(async () => {
        const found = await importOf(rest);
        return !found.serviceImport && !found.derived && found.slices.length === 0 || undefined;
      }, { description: "the import, its derived Service and slices gone" });
      await guard.untouched();
    } finally {
      await reflector.stop();
    }
  });
});

/** The conditions of `cluster`'s ServiceExport `shop/<name>`, as `type=status:reason`. */
async function conditionsOf(rest: RestClient, name: string): Promise<string[]> {
  const found = await rest.get<ServiceExport>(serviceExports(), name, { namespace });
  return (found.status?.conditions ?? []).map(({ type, status, reason }) =>
    `${type}=${status}:${reason}`
  );
}

Deno.test("mcs: each cluster's Reflector reads every cluster and writes the conditions of its own exports: valid, exported, in conflict, or why not", async () => {
  await withClusters(["east", "north"], async ([east, north]) => {
    if (!east || !north) throw new Error("clusters missing");
    for (const cluster of [east, north]) await installMcsCrds(cluster);
    await exportWeb(east, "10.1.0.1");
    await serviceExport(east, true);
    await serviceExport(east, true, {}, "ghost");
    await east.kubectlWithInput(
      JSON.stringify({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "ext", namespace },
        spec: { type: "ExternalName", externalName: "db.example.org" },
      }),
      "apply",
      "-f",
      "-",
    );
    await serviceExport(east, true, {}, "ext");
    // Creation times have a resolution of a second: east's export of web is the older.
    await delay(1_100);
    await exportByHand(north, {
      namespace,
      name: "web",
      ports: { http: 8080 },
      addresses: ["10.2.0.1"],
    });
    await serviceExport(north, true);
    const sources = [
      { name: "east", selector: "", config: adminConfig(east) },
      { name: "north", selector: "", config: adminConfig(north) },
    ];
    using eastTransport = new Transport(adminConfig(east));
    using northTransport = new Transport(adminConfig(north));
    const rests = { east: new RestClient(eastTransport), north: new RestClient(northTransport) };
    const guards = [await guardUnowned(rests.east), await guardUnowned(rests.north)];
    const reflectors = [
      startReflector({ host: east, api: "mcs", clusterId: "east", sources }),
      startReflector({ host: north, api: "mcs", clusterId: "north", sources }),
    ];
    try {
      for (const rest of Object.values(rests)) {
        const imported = await poll(async () => {
          const found = await importOf(rest);
          return found.bySource["east"] && found.bySource["north"] &&
              found.serviceImport?.status?.clusters?.length === 2
            ? found
            : undefined;
        }, { description: "both clusters' exports imported in each cluster" });
        deepStrictEqual(imported.serviceImport?.spec?.ports, [{
          name: "http",
          protocol: "TCP",
          port: 80,
        }]);
      }
      const inConflict = ["Valid=True:Valid", "Ready=True:Exported", "Conflict=True:PortConflict"];
      for (const rest of Object.values(rests)) {
        await poll(
          async () => (await conditionsOf(rest, "web")).join() === inConflict.join() || undefined,
          {
            description: "the own export of web: valid, exported, in a port conflict",
          },
        );
      }
      await poll(async () =>
        (await conditionsOf(rests.east, "ghost")).join() ===
          "Valid=False:NoService,Ready=False:Pending,Conflict=False:NoConflicts" || undefined, {
        description: "an export without its Service: NoService",
      });
      await poll(async () =>
        (await conditionsOf(rests.east, "ext")).join() ===
          "Valid=False:InvalidServiceType,Ready=False:Pending,Conflict=False:NoConflicts" ||
        undefined, { description: "an ExternalName export: InvalidServiceType" });
      const ghost = await rests.east.get<ServiceImport>(serviceImports(), "ghost", { namespace })
        .catch((error) => isNotFound(error) ? undefined : Promise.reject(error));
      equal(ghost, undefined, "nothing to import, nothing imported");
      using sources = adminViews({ east, north }, "");
      for (const rest of Object.values(rests)) await importsConverged(rest, sources.views);
      for (const guard of guards) await guard.untouched();
    } finally {
      await Promise.all(reflectors.map((reflector) => reflector.stop()));
    }
  });
});

Deno.test("mcs and mirror side by side: one Service exported both ways has a mirror and an import in one host, and neither dialect touches the other's objects", async () => {
  await withClusters(
    [{ name: "east", mcs: true }, { name: "host", mcs: true }],
    async ([east, host]) => {
      if (!east || !host) throw new Error("clusters missing");
      await exportWeb(east, "10.1.0.1");
      await exportByHand(east, {
        namespace,
        name: "api",
        ports: { grpc: 9090 },
        addresses: ["10.1.0.2"],
      });
      await serviceExport(east, true);
      await host.kubectl("create", "namespace", namespace);
      using hostTransport = new Transport(adminConfig(host));
      const rest = new RestClient(hostTransport);
      const guard = await guardUnowned(rest);
      const sources = [{ name: "east", selector: "export=yes", config: adminConfig(east) }];
      const mirror = startReflector({ host, sources });
      const mcs = startReflector({ host, api: "mcs", sources });
      try {
        using views = adminViews({ east });
        // Both Services are mirrored; only web, named by a ServiceExport, is imported.
        await converged(rest, views.views);
        await importsConverged(rest, views.views);
        const imported = await importOf(rest);
        deepStrictEqual(imported.bySource, { east: "10.1.0.1" });

        await serviceExport(east, false);
        await exportWeb(east, "10.1.0.3");
        await importsConverged(rest, views.views);
        await converged(rest, views.views);
        equal((await importOf(rest)).serviceImport, undefined, "unexported: the import is gone");
        await guard.untouched();
      } finally {
        await Promise.all([mirror.stop(), mcs.stop()]);
      }
    },
  );
});

Deno.test("importsConverged() fails, naming both sides, when the host has not followed a source", async () => {
  await withClusters(
    [{ name: "east", mcs: true }, { name: "host", mcs: true }],
    async ([east, host]) => {
      if (!east || !host) throw new Error("clusters missing");
      await exportWeb(east, "10.1.0.1");
      await serviceExport(east, true);
      await host.kubectl("create", "namespace", namespace);
      using hostTransport = new Transport(adminConfig(host));
      const rest = new RestClient(hostTransport);
      using views = adminViews({ east }, "");
      const reflector = startReflector({
        host,
        api: "mcs",
        sources: [{ name: "east", selector: "", config: adminConfig(east) }],
      });
      try {
        await importsConverged(rest, views.views);
      } finally {
        await reflector.stop();
      }
      // With no Reflector running, a new endpoint is a difference the check must see.
      await exportByHand(east, {
        namespace,
        name: "web",
        ports: { http: 80 },
        addresses: ["10.1.0.1", "10.1.0.9"],
      });
      const error = await importsConverged(rest, views.views, { timeoutMs: 1_500 }).catch((error) =>
        error
      );
      ok(error instanceof Error, "a difference is not convergence");
      ok(error.message.includes('"10.1.0.9:true"'), error.message);
      ok(error.message.includes("host holds:"), error.message);
    },
  );
});
