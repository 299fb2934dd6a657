/**
 * An Emitter URL as a source of a Reflector in the MCS dialect: the
 * Reflector discovers ServiceExports on the Emitter as on a cluster, and
 * imports the Service they export (a ServiceImport, and the derived
 * Service's EndpointSlice of that source, in the host); the export's
 * deletion, seen through the Emitter's watch, withdraws the import.
 */
import { deepStrictEqual, equal } from "node:assert/strict";

import { type Cluster, withClusters } from "../../tests/cluster/mod.ts";

import { adminConfig } from "../../tests/support/client_configs.ts";

import { exportByHand } from "../../tests/support/hand_exported.ts";

import { hostImport } from "../../tests/support/host_import.ts";

import { setServiceExport } from "../../tests/support/service_exports.ts";

import { poll } from "../../tests/support/poll.ts";

import { startReflector } from "../../tests/support/reflector_harness.ts";

import { runningEmitter } from "../../tests/support/running_emitter.ts";

import { RestClient } from "../kube/rest.ts";

import { Transport } from "../kube/transport.ts";

const namespace = "shop";

/** Applies (or deletes) the ServiceExport of `shop/web` in `cluster`. */
const serviceExport = (cluster: Cluster, exported: boolean) =>
  setServiceExport(cluster, { namespace, name: "web", exportedLabels: { tier: "web" } }, exported);

/** The host's import of `shop/web`. */
const importOf = (rest: RestClient) => hostImport(rest, namespace, "web");

Deno.test("mcs: a Reflector reading an Emitter URL imports the Service its ServiceExport exports", async () => {
  await withClusters(
    [{ name: "east", mcs: true }, { name: "host", mcs: true }],
    async (clusters) => {
      const [east, host] = clusters;
      if (!east || !host) throw new Error("clusters missing");
      await exportByHand(east, {
        namespace,
        name: "web",
        ports: { http: 80 },
        addresses: ["10.1.0.1"],
      });
      await serviceExport(east, true);
      await host.kubectl("create", "namespace", namespace);
      await using emitter = await runningEmitter(east);
      using hostTransport = new Transport(adminConfig(host));
      const rest = new RestClient(hostTransport);
      const reflector = startReflector({
        host,
        api: "mcs",
        sources: [{ name: "east", selector: "", config: emitter.config }],
      });
      try {
        const imported = await poll(async () => {
          const found = await importOf(rest);
          const ready = found.serviceImport?.spec?.ips?.length && found.bySource["east"] &&
            found.serviceImport?.status?.clusters?.length;
          return ready ? found : undefined;
        }, { description: "east's export imported through its Emitter" });
        equal(imported.serviceImport?.spec?.type, "ClusterSetIP");
        deepStrictEqual(imported.serviceImport?.spec?.ports, [
          { name: "http", protocol: "TCP", port: 80 },
        ]);
        deepStrictEqual(imported.serviceImport?.status?.clusters, [{ cluster: "east" }]);
        equal(imported.serviceImport?.metadata?.labels?.["tier"], "web", "the export's labels");
        deepStrictEqual(imported.bySource, { east: "10.1.0.1" });
        deepStrictEqual(
          reflector.informerErrors.map((failure) => String(failure.error)),
          [],
          "the Emitter answered every request of the source",
        );

        await serviceExport(east, false);
        await poll(async () => {
          const found = await importOf(rest);
          return !found.serviceImport && Object.keys(found.bySource).length === 0 || undefined;
        }, { description: "the import withdrawn once the export is deleted" });
      } finally {
        await reflector.stop();
      }
    },
  );
});
