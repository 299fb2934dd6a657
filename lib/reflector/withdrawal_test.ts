/**
 * Withdrawal is per source: what a synced source withdraws leaves the host
 * at once, whatever the state of the other sources. Between real clusters
 * ("east" the source, "west" the host), next to a source that never syncs
 * (nothing listens at its URL).
 */
import { deepStrictEqual, equal } from "node:assert/strict";
import { freePorts } from "../../tests/cluster/ports.ts";
import { exportService } from "../../tests/support/exported_service.ts";
import { poll } from "../../tests/support/poll.ts";
import { mirrorOf } from "../../tests/support/reflector_mirror.ts";
import { scenario, scenarioNamespace } from "../../tests/support/reflector_scenario.ts";
import { configFromUrl } from "../kube/config/client_config.ts";
import { syncedBySource } from "../../tests/support/source_states.ts";

const namespace = scenarioNamespace;

Deno.test("a Service deleted in a synced source loses its endpoints while another source is down", async () => {
  await scenario(async ({ east, host, eastSource, start }) => {
    await exportService(east, { namespace, name: "web", ips: ["10.1.0.1"] });
    await exportService(east, { namespace, name: "api", ips: ["10.1.0.2"] });
    const [closed] = freePorts(1);
    const down = {
      name: "down",
      config: configFromUrl(`http://127.0.0.1:${closed}`),
      selector: "",
    };
    const reflector = start({ sources: [eastSource, down] });
    for (
      const [name, endpoint] of [["web", "10.1.0.1:true"], ["api", "10.1.0.2:true"]] as const
    ) {
      await poll(async () => {
        const state = await mirrorOf(host, namespace, name);
        return state.endpoints.join() === endpoint ? true : undefined;
      }, { description: `${name} mirrored while the other source is down` });
    }
    equal(syncedBySource(reflector.reflector)["down"], false, "the other source is down");

    await east.kubectl("delete", "service", "web", "-n", namespace);
    await east.kubectl("label", "service", "api", "-n", namespace, "export-");
    for (const name of ["web", "api"]) {
      const withdrawn = await poll(async () => {
        const state = await mirrorOf(host, namespace, name);
        return state.slices.length === 0 ? state : undefined;
      }, { description: `east's slices of ${name} withdrawn while the other source is down` });
      // The source that is down may export the key too: the mirror Service stays for it.
      deepStrictEqual(withdrawn.service?.metadata?.name, name);
    }
  });
});
