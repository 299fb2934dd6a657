/**
 * How the applier treats a mirror's slices per source and per slot,
 * against a real host, each object's fate read back from the server:
 * - the slices of a kept source (one that has not synced, so its part is
 *   unknown) are left exactly as they are, by `apply()` and by `remove()`;
 * - a slot no longer wanted is deleted, and only after the wanted ones
 *   were written, so the mirror never lacks its endpoints in between.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Endpoints, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import type { Cluster } from "../../tests/cluster/mod.ts";
import { endpoint, service, slice } from "../../tests/support/desired_fixtures.ts";
import { caughtUpApplier, onHost } from "../../tests/support/host_applier.ts";
import type { RestClient } from "../kube/rest.ts";
import { endpoints, endpointSlices, services } from "../kube/resource.ts";
import { sourceClusterLabel } from "../ownership.ts";
import { desiredMirror } from "./desired.ts";
import { mirrorLayout } from "./mirror_kinds.ts";

/** The mirror `shop/web` as exported by `sources`, each with one IPv4 endpoint of its own. */
const exportedBy = (...sources: string[]) =>
  desiredMirror(
    sources.map((source, index) => ({
      source,
      service: service({ type: "ClusterIP", ports: [{ name: "http", port: 80 }] }),
      endpointSlices: [slice(`web-${source}`, "IPv4", [endpoint(`10.1.${index}.1`)])],
    })),
    { legacyEndpoints: true },
  );

/** The host's slices of `shop/web` by source: `uid resourceVersion`, as the server holds them. */
async function slicesBySource(rest: RestClient): Promise<Record<string, string>> {
  const { items } = await rest.list<EndpointSlice>(endpointSlices, {
    namespace: "shop",
    labelSelector: "kubernetes.io/service-name=web",
  });
  return Object.fromEntries(
    items.map((item) => [
      item.metadata?.labels?.[sourceClusterLabel] ?? "",
      `${item.metadata?.uid} ${item.metadata?.resourceVersion}`,
    ]),
  );
}

/** `uid resourceVersion` of the host's `shop/web` of `type`, or "none". */
async function versionOf(rest: RestClient, type: typeof services | typeof endpoints) {
  const found = await rest.get<Service | Endpoints>(type, "web", { namespace: "shop" })
    .catch(() => undefined);
  return found ? `${found.metadata?.uid} ${found.metadata?.resourceVersion}` : "none";
}

Deno.test("apply() leaves a kept source's slices exactly as they are, and withdraws them once not kept", async () => {
  await onHost(async (_west, rest) => {
    await (await caughtUpApplier(rest)).apply(exportedBy("east", "north"));
    const before = await slicesBySource(rest);
    deepStrictEqual(Object.keys(before).sort(), ["east", "north"]);

    // north has not synced: what it exports is unknown, so its part stays.
    await (await caughtUpApplier(rest)).apply(exportedBy("east"), { keep: new Set(["north"]) });
    deepStrictEqual(await slicesBySource(rest), before, "no slice written or deleted");

    await (await caughtUpApplier(rest)).apply(exportedBy("east"));
    deepStrictEqual(await slicesBySource(rest), { east: before["east"] }, "north's slice deleted");
  });
});

Deno.test("remove() with a kept source deletes only the others' slices, keeping the Service and core Endpoints", async () => {
  await onHost(async (_west, rest) => {
    await (await caughtUpApplier(rest)).apply(exportedBy("east", "north"));
    const slices = await slicesBySource(rest);
    const service = await versionOf(rest, services);
    const legacy = await versionOf(rest, endpoints);
    ok(service !== "none" && legacy !== "none");

    await (await caughtUpApplier(rest)).remove(mirrorLayout("shop/web"), {
      keep: new Set(["north"]),
    });
    deepStrictEqual(await slicesBySource(rest), { north: slices["north"] });
    equal(await versionOf(rest, services), service, "the Service untouched");
    equal(await versionOf(rest, endpoints), legacy, "the core Endpoints untouched");

    await (await caughtUpApplier(rest)).remove(mirrorLayout("shop/web"));
    deepStrictEqual(await slicesBySource(rest), {});
    equal(await versionOf(rest, services), "none");
    equal(await versionOf(rest, endpoints), "none");
  });
});

/** Watch events of `shop`'s slices after `resourceVersion`, as `TYPE slot`, until `count` came. */
async function sliceEvents(
  west: Cluster,
  resourceVersion: string,
  count: number,
): Promise<string[]> {
  const response = await west.fetch(
    `/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices?watch=1&resourceVersion=${resourceVersion}`,
    { signal: AbortSignal.timeout(30_000) },
  );
  const events: string[] = [];
  const lines = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  try {
    while (events.length < count && lines) {
      const { value, done } = await lines.read();
      if (done) break;
      buffered += value;
      for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
        const event = JSON.parse(buffered.slice(0, end)) as { type: string; object: EndpointSlice };
        buffered = buffered.slice(end + 1);
        const slot = event.object.metadata?.labels?.["service-reflector.squat.ai/slot"];
        events.push(`${event.type} ${slot}`);
      }
    }
  } finally {
    await lines?.cancel();
  }
  return events.slice(0, count);
}

Deno.test("a slot no longer wanted is deleted, after the wanted slot was written", async () => {
  await onHost(async (west, rest) => {
    const dualStack = (v4: string) =>
      desiredMirror([{
        source: "east",
        service: service({ type: "ClusterIP", ports: [{ name: "http", port: 80 }] }),
        endpointSlices: [
          slice("web-v4", "IPv4", [endpoint(v4)]),
          slice("web-v6", "IPv6", [endpoint("fd00::1")]),
        ],
      }], { legacyEndpoints: false });
    await (await caughtUpApplier(rest)).apply(dualStack("10.1.0.1"));
    const { resourceVersion } = await rest.list<EndpointSlice>(endpointSlices, {
      namespace: "shop",
    });
    const kept = (await slicesBySource(rest))["east"];
    ok(kept);

    // Now IPv4 only, with another endpoint: the IPv4 slot is updated, the IPv6 slot goes.
    const ipv4Only = desiredMirror([{
      source: "east",
      service: service({ type: "ClusterIP", ports: [{ name: "http", port: 80 }] }),
      endpointSlices: [slice("web-v4", "IPv4", [endpoint("10.1.0.2")])],
    }], { legacyEndpoints: false });
    const events = sliceEvents(west, resourceVersion, 2);
    await (await caughtUpApplier(rest)).apply(ipv4Only);
    deepStrictEqual(await events, ["MODIFIED ipv4-0-0", "DELETED ipv6-0-0"]);
    const { items } = await rest.list<EndpointSlice>(endpointSlices, { namespace: "shop" });
    deepStrictEqual(items.map((item) => item.endpoints.flatMap((each) => each.addresses)), [[
      "10.1.0.2",
    ]]);
  });
});
