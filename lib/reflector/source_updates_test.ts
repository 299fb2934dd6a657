/**
 * The Reflector's sources change while it runs, between real clusters
 * ("east", "north", "host"): a source added is mirrored, a changed selector
 * restarts only that source, a removed source's mirrors stay for the grace
 * and then go, an update that changes nothing changes nothing, and no
 * update writes to another source's mirrors. Writes are counted at the
 * host's apiserver (its audit log), by the Reflector's user agent.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { withClusters } from "../../tests/cluster/mod.ts";
import { adminConfig } from "../../tests/support/client_configs.ts";
import { exportByHand } from "../../tests/support/hand_exported.ts";
import { delay } from "../../tests/support/poll.ts";
import { startReflector } from "../../tests/support/reflector_harness.ts";
import { mirrorOf } from "../../tests/support/reflector_mirror.ts";
import {
  describeWrite,
  markServerWrites,
  type WritesMark,
} from "../../tests/support/server_writes.ts";
import { converged, guardUnowned } from "../../tests/faults/invariant.ts";
import { adminViews } from "../../tests/support/source_views.ts";
import { RestClient } from "../kube/rest.ts";
import { Transport } from "../kube/transport.ts";
import type { SourceConfig } from "./source_config.ts";

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
    const northSource = (selector: string): SourceConfig => ({
      name: "north",
      config: adminConfig(north),
      selector,
    });
    const eastView = sources.view("east");
    const northView = (selector: string) => sources.view("north", selector);
    const started = await markServerWrites(host);
    const running = startReflector({ host, sources: [eastSource], removeGraceMs: 2_000 });
    const { reflector, userAgent } = running;
    ok(userAgent, "the harness names the Reflector's requests");
    /** The Reflector's writes since `mark`, as the host's apiserver received them. */
    const written = async (mark: WritesMark) =>
      (await mark.writes({ userAgent })).map(describeWrite);
    /** Those of the mirror `name` of `namespace`: its Service, slices and core Endpoints. */
    const writtenTo = async (name: string, mark: WritesMark) =>
      (await mark.writes({ userAgent })).filter((write) =>
        write.namespace === namespace &&
        (write.name === name || write.name?.startsWith(`${name}.`) ||
          write.name?.startsWith(`${name}-`))
      ).map(describeWrite);
    try {
      await converged(rest, [eastView]);
      ok((await writtenTo("a", started)).length > 0, "the Reflector's writes are told apart");

      let mark = await markServerWrites(host);
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
      deepStrictEqual(
        await writtenTo("a", mark),
        [],
        "east's mirror is not written by north's changes",
      );

      // Nothing changed: nothing restarts, nothing is written, not even an Event.
      mark = await markServerWrites(host);
      deepStrictEqual(reflector.updateSources([eastSource, northSource(silver)]), {
        added: [],
        removed: [],
        changed: [],
      });
      await delay(1_000);
      deepStrictEqual(await written(mark), [], "a no-op update writes nothing");

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
      deepStrictEqual(
        await writtenTo("c", mark),
        [],
        "north's mirror is not written by east's removal",
      );
      deepStrictEqual(reflector.sourceStates.map((state) => state.name), ["north"]);
      await guard.untouched();
    } finally {
      await running.stop();
    }
  });
});
