/**
 * Per-source mirror names between real clusters ("east" as source `b-c`,
 * "north" as source `c`, and "host"), with `{name}-{source}`: one mirror
 * per source, a Service's annotation choosing merged for itself, a
 * 63-character name shortened to a valid stable name, and two Services
 * whose names collide (`a` of `b-c` and `a-b` of `c` are both `a-b-c`):
 * the older has the name, the other is reported and never mixed in, and
 * takes the name over, in place, once the older goes.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import { withClusters } from "../../tests/cluster/mod.ts";
import { converged, guardUnowned } from "../../tests/faults/invariant.ts";
import { adminViews } from "../../tests/support/source_views.ts";
import { adminConfig } from "../../tests/support/client_configs.ts";
import { exportByHand } from "../../tests/support/hand_exported.ts";
import { delay, poll } from "../../tests/support/poll.ts";
import { reportedEvents } from "../../tests/support/reported_events.ts";
import { startReflector } from "../../tests/support/reflector_harness.ts";
import { mirrorOf } from "../../tests/support/reflector_mirror.ts";
import { services } from "../kube/resource.ts";
import { RestClient } from "../kube/rest.ts";
import { Transport } from "../kube/transport.ts";
import { isReflected, namingAnnotation, sourceKey, sourceServiceAnnotation } from "../ownership.ts";
import { MirrorNaming, rendered } from "./mirror_names.ts";
import type { Attempt } from "../controller/controller.ts";
import { isConflict } from "../kube/status_error.ts";

const namespace = "shop";
const template = "{name}-{source}";
const long = `l${"o".repeat(61)}g`;

/** Whether `attempt` failed on a write conflict (409), to be retried. */
function isConflictRetry(attempt: Attempt): boolean {
  return attempt.outcome.kind === "retry" && isConflict(attempt.outcome.error);
}

Deno.test("per-source names: one mirror per source, merged by annotation, long names shortened, colliding names never mixed", async () => {
  await withClusters(["east", "north", "host"], async ([east, north, host]) => {
    if (!east || !north || !host) throw new Error("clusters missing");
    const exported = (cluster: typeof east, name: string, address: string, merged = false) =>
      exportByHand(cluster, {
        namespace,
        name,
        ports: { http: 80 },
        addresses: [address],
        ...(merged ? { annotations: { [namingAnnotation]: "merged" } } : {}),
      });
    await exported(east, "a", "10.1.0.9");
    await exported(east, "web", "10.1.0.1");
    await exported(east, "shared", "10.1.0.2", true);
    await exported(east, long, "10.1.0.3");
    // Creation times have a resolution of a second: east's "a" is the older claimant.
    await delay(1_100);
    await exported(north, "a-b", "10.2.0.9");
    await exported(north, "web", "10.2.0.1");
    await exported(north, "shared", "10.2.0.2", true);
    using hostTransport = new Transport(adminConfig(host));
    using sources = adminViews({ "b-c": east, c: north });
    const rest = new RestClient(hostTransport);
    const guard = await guardUnowned(rest);
    const running = startReflector({
      host,
      nameTemplate: template,
      sources: [
        { name: "b-c", config: adminConfig(east), selector: "export=yes" },
        { name: "c", config: adminConfig(north), selector: "export=yes" },
      ],
    });
    const mirrorNames = async () =>
      (await rest.list<Service>(services, { namespace })).items.filter(isReflected)
        .map((service) => service.metadata?.name ?? "").sort();
    const shortened = rendered(template, long, "b-c");
    const until = (want: string[], description: string) =>
      poll(async () => JSON.stringify(await mirrorNames()) === JSON.stringify(want) || undefined, {
        description,
        timeoutMs: 30_000,
      });
    try {
      await until(
        ["a-b-c", shortened, "shared", "web-b-c", "web-c"].sort(),
        "every mirror named",
      );
      equal(shortened.length, 63);
      ok(/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(shortened), shortened);
      // Names come before slices, and a source that syncs first may hold a
      // colliding name until the older claimant's source syncs and takes it
      // over in place: what is checked below is the state this settles to.
      const endpointsOf = async (name: string) => (await mirrorOf(rest, namespace, name)).endpoints;
      await poll(async () => {
        deepStrictEqual(await endpointsOf("a-b-c"), ["10.1.0.9:true"]);
        deepStrictEqual(await endpointsOf(shortened), ["10.1.0.3:true"]);
        deepStrictEqual(await endpointsOf("web-b-c"), ["10.1.0.1:true"]);
        deepStrictEqual(await endpointsOf("web-c"), ["10.2.0.1:true"]);
        deepStrictEqual(await endpointsOf("shared"), ["10.1.0.2:true", "10.2.0.2:true"]);
        return true;
      }, { description: "every mirror with its endpoints", timeoutMs: 30_000 });
      const longMirror = await mirrorOf(rest, namespace, shortened);
      equal(longMirror.service?.metadata?.annotations?.[sourceServiceAnnotation], long);
      deepStrictEqual(longMirror.endpoints, ["10.1.0.3:true"]);

      for (
        const [name, source, address] of [["web-b-c", "b-c", "10.1.0.1"], [
          "web-c",
          "c",
          "10.2.0.1",
        ]]
      ) {
        const mirror = await mirrorOf(rest, namespace, name ?? "");
        deepStrictEqual(mirror.endpoints, [`${address}:true`], name);
        deepStrictEqual(mirror.slices.map((slice) => slice.metadata?.labels?.[sourceKey]), [
          source,
        ]);
        equal(mirror.service?.metadata?.annotations?.[sourceServiceAnnotation], "web");
      }
      const shared = await mirrorOf(rest, namespace, "shared");
      deepStrictEqual(shared.endpoints, ["10.1.0.2:true", "10.2.0.2:true"], "merged by annotation");

      // The collision: east's older "a" has a-b-c; north's "a-b" is reported, never mixed in.
      const collided = await mirrorOf(rest, namespace, "a-b-c");
      deepStrictEqual(collided.endpoints, ["10.1.0.9:true"]);
      equal(collided.service?.metadata?.annotations?.[sourceServiceAnnotation], "a");
      const [reported] = await reportedEvents(rest, namespace, "a-b-c", "NameCollision");
      ok(
        reported?.message?.includes("b-c/a (the oldest) has the name, and c/a-b is not mirrored"),
        reported?.message,
      );
      deepStrictEqual(running.collisions.at(-1), [`${namespace}/a-b-c`, "b-c/a", ["c/a-b"]]);
      ok(
        (await running.registry.metrics()).includes(
          "service_reflector_mirror_names_in_collision 1",
        ),
      );

      // The older goes: the other claimant takes the name over, in place.
      await east.kubectl("delete", "service", "a", "-n", namespace);
      await poll(
        async () =>
          JSON.stringify((await mirrorOf(rest, namespace, "a-b-c")).endpoints) ===
            '["10.2.0.9:true"]' ||
          undefined,
        { description: "north's a-b has a-b-c" },
      );
      const taken = await mirrorOf(rest, namespace, "a-b-c");
      equal(taken.service?.metadata?.uid, collided.service?.metadata?.uid, "never recreated");
      equal(taken.service?.metadata?.annotations?.[sourceServiceAnnotation], "a-b");
      ok(
        (await running.registry.metrics()).includes(
          "service_reflector_mirror_names_in_collision 0",
        ),
      );

      // An annotation turned on: north's web merges under its own name; its per-source mirror goes.
      await north.kubectl(
        "annotate",
        "service",
        "web",
        "-n",
        namespace,
        `${namingAnnotation}=merged`,
      );
      await until(["a-b-c", shortened, "shared", "web", "web-b-c"].sort(), "north's web merged");
      deepStrictEqual((await mirrorOf(rest, namespace, "web")).endpoints, ["10.2.0.1:true"]);
      // A write on a cache that had not caught up with the last one is refused (409) and
      // retried from fresh caches, by design; any other failure is a defect.
      deepStrictEqual(running.failures.filter((attempt) => !isConflictRetry(attempt)), []);
      // The shared check, with the names per source: no claim collides any more.
      const naming = new MirrorNaming(template);
      await converged(rest, sources.views, {
        mirrorName: (service, source) => naming.name(service, source),
      });
      await guard.untouched();
    } finally {
      await running.stop();
    }
  });
});
