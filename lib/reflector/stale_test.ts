/**
 * A source unreachable past `staleAfterMs` is stale: between real clusters
 * ("east" stopped, "north" healthy, "host"), east's endpoints are marked
 * neither ready nor serving while its mirror stays, north's are untouched,
 * and east's come back once it is reached again.
 */
import { deepStrictEqual, equal } from "node:assert/strict";
import { withClusters } from "../../tests/cluster/mod.ts";
import { adminConfig } from "../../tests/support/client_configs.ts";
import { exportOneEach } from "../../tests/support/hand_exported.ts";
import { poll } from "../../tests/support/poll.ts";
import { noteConvergence } from "../../tests/faults/convergence_log.ts";
import { converged, guardUnowned } from "../../tests/faults/invariant.ts";
import { adminViews } from "../../tests/support/source_views.ts";
import { startReflector } from "../../tests/support/reflector_harness.ts";
import { mirrorOf } from "../../tests/support/reflector_mirror.ts";
import { RestClient } from "../kube/rest.ts";
import { Transport } from "../kube/transport.ts";

const namespace = "shop";

Deno.test("a source unreachable past stale-after has its endpoints withdrawn, and restored once back", async () => {
  await withClusters(["east", "north", "host"], async ([east, north, host]) => {
    if (!east || !north || !host) throw new Error("clusters missing");
    await exportOneEach({ east, north }, namespace);
    using hostTransport = new Transport(adminConfig(host));
    using sources = adminViews({ east, north });
    const rest = new RestClient(hostTransport);
    const guard = await guardUnowned(rest);
    const reflector = startReflector({
      host,
      sources: [
        { name: "east", config: adminConfig(east), selector: "export=yes" },
        { name: "north", config: adminConfig(north), selector: "export=yes" },
      ],
      staleAfterMs: 2_000,
    });
    const endpoints = async (name: string) => (await mirrorOf(rest, namespace, name)).endpoints;
    const until = (name: string, want: string[], description: string) =>
      poll(
        async () => JSON.stringify(await endpoints(name)) === JSON.stringify(want) || undefined,
        {
          description,
          timeoutMs: 30_000,
        },
      );
    try {
      await until("from-east", ["10.1.0.1:true"], "east mirrored");
      await until("from-north", ["10.2.0.1:true"], "north mirrored");
      const stopped = performance.now();
      await east.stopApiserver();
      await until("from-east", ["10.1.0.1:false"], "east's endpoint withdrawn");
      await noteConvergence(
        "stale-after 2 s: the source's endpoints withdrawn, from its apiserver's stop",
        performance.now() - stopped,
      );
      equal(
        (await mirrorOf(rest, namespace, "from-east")).service !== undefined,
        true,
        "mirror stays",
      );
      deepStrictEqual(await endpoints("from-north"), ["10.2.0.1:true"], "north untouched");
      deepStrictEqual(
        reflector.reflector.sourceStates.map((state) => [state.name, state.stale]),
        [["east", true], ["north", false]],
      );
      await east.startApiserver();
      await until("from-east", ["10.1.0.1:true"], "east's endpoint restored");
      equal(reflector.reflector.sourceStates[0]?.stale, false);
      await converged(rest, sources.views);
      await guard.untouched();
    } finally {
      await reflector.stop();
    }
  });
});
