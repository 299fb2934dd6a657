/**
 * The Reflector's sources change while it runs, between real clusters
 * ("east", "north", "host"): a source added is mirrored, a changed selector
 * restarts only that source, a removed source's mirrors stay for the grace
 * and then go, an update that changes nothing changes nothing, and no
 * update writes to another source's mirrors.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { withClusters } from "../../tests/cluster/mod.ts";
import { adminConfig } from "../../tests/support/client_configs.ts";
import { exportByHand } from "../../tests/support/hand_exported.ts";
import { delay } from "../../tests/support/poll.ts";
import { startReflector } from "../../tests/support/reflector_harness.ts";
import { mirrorOf } from "../../tests/support/reflector_mirror.ts";
import { converged, guardUnowned } from "../../tests/faults/invariant.ts";
import { adminViews } from "../../tests/support/source_views.ts";
import { RestClient } from "../kube/rest.ts";
import { Transport } from "../kube/transport.ts";
import type { SourceOptions } from "./source.ts";

const namespace = "shop";
const gold = "export=yes,tier=gold";
const silver = "export=yes,tier=silver";

Deno.test("sources added, changed and removed while the Reflector runs touch only their own mirrors", async () => {
  await withClusters(["east", "north", "host"], async ([east, north, host]) => {
    if (!east || !north || !host) throw new Error("clusters missing");
    await exportByHand(east, {
      namespace,
      name: "a",
      ports: { http: 80 },
      addresses: ["10.1.0.1"],
    });
    for (const [name, tier, address] of [["b", "gold", "10.2.0.1"], ["c", "silver", "10.2.0.2"]]) {
      await exportByHand(north, {
        namespace,
        name: name ?? "",
        ports: { http: 80 },
        addresses: [address ?? ""],
        labels: { tier: tier ?? "" },
      });
    }
    using hostTransport = new Transport(adminConfig(host));
    using sources = adminViews({ east, north });
    const rest = new RestClient(hostTransport);
    const guard = await guardUnowned(rest);
    const eastSource = { name: "east", config: adminConfig(east), selector: "export=yes" };
    const northSource = (selector: string): SourceOptions => ({
      name: "north",
      config: adminConfig(north),
      selector,
    });
    const eastView = sources.view("east");
    const northView = (selector: string) => sources.view("north", selector);
    const running = startReflector({ host, sources: [eastSource], removeGraceMs: 2_000 });
    const { reflector } = running;
    const writesTo = (key: string, since: number) =>
      running.writes.slice(since).filter((write) =>
        write.key === key || write.key.startsWith(`${key}-`)
      ).length;
    try {
      await converged(rest, [eastView]);

      let mark = running.writes.length;
      deepStrictEqual(reflector.updateSources([eastSource, northSource(gold)]), {
        added: ["north"],
        removed: [],
        changed: [],
      });
      await converged(rest, [eastView, northView(gold)]);
      equal((await mirrorOf(rest, namespace, "c")).service, undefined, "c is not selected yet");

      deepStrictEqual(reflector.updateSources([eastSource, northSource(silver)]), {
        added: [],
        removed: [],
        changed: ["north"],
      });
      await converged(rest, [eastView, northView(silver)]);
      equal(writesTo("shop/a", mark), 0, "east's mirror is not written by north's changes");

      // Nothing changed: nothing restarts, nothing is written.
      mark = running.writes.length;
      deepStrictEqual(reflector.updateSources([eastSource, northSource(silver)]), {
        added: [],
        removed: [],
        changed: [],
      });
      await delay(1_000);
      deepStrictEqual(running.writes.slice(mark), [], "a no-op update writes nothing");

      deepStrictEqual(reflector.updateSources([northSource(silver)]), {
        added: [],
        removed: ["east"],
        changed: [],
      });
      const removing = reflector.sourceStates.find((state) => state.name === "east");
      equal(removing?.removing, true);
      await delay(1_000);
      ok((await mirrorOf(rest, namespace, "a")).service, "east's mirror stays for the grace");
      await converged(rest, [northView(silver)]);
      equal(writesTo("shop/c", mark), 0, "north's mirror is not written by east's removal");
      deepStrictEqual(reflector.sourceStates.map((state) => state.name), ["north"]);
      await guard.untouched();
    } finally {
      await running.stop();
    }
  });
});
