/**
 * The applier against a real host apiserver whose caches have not caught
 * up: each case hands it empty caches while the host already holds the
 * objects, which is what a worker sees when its own earlier write has not
 * reached the informers yet, or when a name is taken by someone else.
 * "No write" is counted at the host's apiserver (its audit log): the
 * applier's requests carry a user agent of their own.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Endpoints, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { type Cluster, withClusters } from "../../tests/cluster/mod.ts";
import { adminConfig, tokenConfig } from "../../tests/support/client_configs.ts";
import { endpoint, service, slice } from "../../tests/support/desired_fixtures.ts";
import {
  describeWrite,
  markServerWrites,
  type WritesMark,
} from "../../tests/support/server_writes.ts";
import { RestClient } from "../kube/rest.ts";
import { endpoints, endpointSlices, services } from "../kube/resource.ts";
import { StatusError } from "../kube/status_error.ts";
import { Transport } from "../kube/transport.ts";
import { Applier, NameTakenError, type Write } from "./applier.ts";
import { desiredMirror } from "./desired.ts";
import { caughtUpApplier, hostCaches } from "../../tests/support/host_applier.ts";

/** An applier of `rest` whose host caches are empty, recording its writes. */
function lagging(rest: RestClient): { applier: Applier; writes: Write[] } {
  const writes: Write[] = [];
  const applier = new Applier({
    rest,
    host: hostCaches(),
    observer: { onWrite: (write) => writes.push(write) },
  });
  return { applier, writes };
}

/** The user agent of {@linkcode onHost}'s `applying` client. */
const applierAgent = `applier under test ${crypto.randomUUID()}`;

/** The writes of the `applying` client since `mark`, as the apiserver received them. */
async function applied(mark: WritesMark): Promise<string[]> {
  return (await mark.writes({ userAgent: applierAgent })).map(describeWrite);
}

/**
 * Runs `body` with a fresh host cluster that has namespace `shop`, an admin
 * client of it, and another (`applying`) whose requests the apiserver logs
 * as {@linkcode applierAgent}'s.
 */
async function onHost(
  body: (west: Cluster, rest: RestClient, applying: RestClient) => Promise<void>,
): Promise<void> {
  await withClusters(["west"], async ([west]) => {
    if (!west) throw new Error("cluster missing");
    using transport = new Transport(adminConfig(west));
    using applierTransport = new Transport(adminConfig(west), { userAgent: applierAgent });
    await west.kubectl("create", "namespace", "shop");
    await body(west, new RestClient(transport), new RestClient(applierTransport));
  });
}

const mirror = () =>
  desiredMirror([{
    source: "east",
    service: service({ type: "ClusterIP", ports: [{ name: "http", port: 80 }] }),
    endpointSlices: [slice("web-abc", "IPv4", [endpoint("10.1.0.1")])],
  }], { legacyEndpoints: true });

Deno.test("a create that answers AlreadyExists reads the object and compares it instead of failing", async () => {
  await onHost(async (west, _rest, applying) => {
    const empty = await markServerWrites(west);
    const first = lagging(applying);
    await first.applier.apply(mirror());
    const created = ["create endpoints", "create endpointslices", "create services"];
    deepStrictEqual(first.writes.map((write) => `${write.verb} ${write.resource}`).sort(), created);
    deepStrictEqual(
      (await empty.writes({ userAgent: applierAgent }))
        .map((write) => `${write.verb} ${write.resource}`).sort(),
      created,
      "the apiserver received what was told, no more",
    );

    // The same mirror again, through caches that have seen none of it: the creates are
    // answered AlreadyExists, and nothing else is sent.
    const again = await markServerWrites(west);
    const second = lagging(applying);
    await second.applier.apply(mirror());
    deepStrictEqual(second.writes, [], "none told");
    deepStrictEqual(
      (await again.writes({ userAgent: applierAgent }))
        .map((write) => `${write.verb} ${write.resource}: ${write.code}`).sort(),
      created.map((write) => `${write}: 409`),
      "what the host holds already is the mirror: no write",
    );
  });
});

Deno.test("a name taken by an object the Reflector does not own is a NameTakenError, and nothing is written over it", async () => {
  await onHost(async (west, rest, applying) => {
    await west.kubectl("create", "service", "clusterip", "web", "-n", "shop", "--tcp=1234:1234");
    const mark = await markServerWrites(west);
    const { applier, writes } = lagging(applying);
    const error = await applier.apply(mirror()).catch((error) => error);
    ok(error instanceof NameTakenError, String(error));
    equal(error.resource, "services");
    equal(error.key, "shop/web");
    equal(error.object.metadata?.labels?.["app.kubernetes.io/managed-by"], undefined);
    deepStrictEqual(writes, []);
    deepStrictEqual(
      await applied(mark),
      ["create services shop/web by " + applierAgent + ": 409"],
      "one create, refused as the name is taken; nothing else sent",
    );
    const untouched = await rest.get<Service>(services, "web", { namespace: "shop" });
    equal(untouched.spec?.ports?.[0]?.port, 1234, "the host's own Service is left as it was");
  });
});

/** An applier of `rest` whose host caches hold what the host holds in `shop` now, recording its writes. */
async function caughtUp(rest: RestClient): Promise<{ applier: Applier; writes: Write[] }> {
  const writes: Write[] = [];
  const applier = await caughtUpApplier(rest, { onWrite: (write) => writes.push(write) });
  return { applier, writes };
}

/** The endpoint addresses of each EndpointSlice of `shop` (only the Reflector's with `ours`), by name. */
async function sliceAddresses(
  rest: RestClient,
  { ours = false } = {},
): Promise<Record<string, string[]>> {
  const { items } = await rest.list<EndpointSlice>(endpointSlices, {
    namespace: "shop",
    ...(ours ? { labelSelector: "app.kubernetes.io/managed-by=service-reflector" } : {}),
  });
  return Object.fromEntries(
    items.map((item) => [item.metadata?.name, item.endpoints.flatMap((each) => each.addresses)]),
  );
}

Deno.test("a write the host refuses for want of a permission is told as denied, and rejects with the 403", async () => {
  await onHost(async (west, rest) => {
    await west.kubectl("create", "serviceaccount", "writer", "-n", "shop");
    await west.kubectl(
      "create",
      "role",
      "services-only",
      "-n",
      "shop",
      "--verb=get,create,update,delete",
      "--resource=services",
    );
    await west.kubectl(
      "create",
      "rolebinding",
      "services-only",
      "-n",
      "shop",
      "--role=services-only",
      "--serviceaccount=shop:writer",
    );
    const token = (await west.kubectl("create", "token", "writer", "-n", "shop")).trim();
    using transport = new Transport(tokenConfig(west, token));
    const writes: string[] = [];
    const denied: string[] = [];
    const applier = new Applier({
      rest: new RestClient(transport),
      host: hostCaches(),
      observer: {
        onWrite: (write) => writes.push(`${write.verb} ${write.resource}`),
        onWriteDenied: (write, error) =>
          denied.push(`${write.verb} ${write.resource} ${write.mirror} ${error.code}`),
      },
    });
    const error = await applier.apply(mirror()).catch((error) => error);
    ok(error instanceof StatusError && error.code === 403, String(error));
    deepStrictEqual(writes, ["create services"]);
    deepStrictEqual(denied, ["create endpointslices shop/web 403"]);
    equal(Object.keys(await sliceAddresses(rest)).length, 0, "no slice written");
  });
});

Deno.test("a slice name taken by a foreign EndpointSlice: ours is written under a generated name, the foreign one is left alone", async () => {
  await onHost(async (west, rest, applying) => {
    const wanted = mirror();
    const name = wanted.endpointsFor({ name: "web", uid: "u" }).endpointSlices[0]?.metadata?.name;
    ok(name);
    await rest.create(endpointSlices, {
      metadata: { name, namespace: "shop", labels: { "kubernetes.io/service-name": "web" } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.9.9.9"] }],
    });
    const { applier } = lagging(rest);
    const { clashes } = await applier.apply(wanted);
    equal(clashes.length, 1);
    const [clash] = clashes;
    equal(clash?.resource, "endpointslices");
    equal(clash?.wanted, name);
    equal(clash?.holder.metadata?.labels?.["endpointslice.kubernetes.io/managed-by"], undefined);
    const written = clash?.written?.metadata?.name ?? "";
    ok(written.startsWith(`${name}-`), written);
    deepStrictEqual(await sliceAddresses(rest), { [name]: ["10.9.9.9"], [written]: ["10.1.0.1"] });

    // Once the caches have seen it, the renamed slice is the mirror's: nothing more is written.
    const mark = await markServerWrites(west);
    const again = await caughtUp(applying);
    deepStrictEqual((await again.applier.apply(mirror())).clashes, []);
    deepStrictEqual(again.writes, []);
    deepStrictEqual(await applied(mark), [], "nothing sent");
  });
});

Deno.test("core Endpoints of the mirror's name held by a foreign object are a clash, and not written over", async () => {
  await onHost(async (_west, rest) => {
    await rest.create(endpoints, {
      metadata: { name: "web", namespace: "shop" },
      subsets: [{ addresses: [{ ip: "10.9.9.9" }], ports: [{ port: 1 }] }],
    });
    const { applier } = lagging(rest);
    const { clashes } = await applier.apply(mirror());
    deepStrictEqual(clashes.map((clash) => [clash.resource, clash.wanted, clash.written]), [
      ["endpoints", "shop/web", undefined],
    ]);
    const foreign = await rest.get<Endpoints>(endpoints, "web", { namespace: "shop" });
    equal(foreign.subsets?.[0]?.addresses?.[0]?.ip, "10.9.9.9");
    deepStrictEqual(
      Object.values(await sliceAddresses(rest, { ours: true })),
      [["10.1.0.1"]],
      "the slices are written",
    );
  });
});

Deno.test("Services and sources whose dash-joined names agree each get their own slices", async () => {
  await onHost(async (_west, rest) => {
    const exported = (name: string, source: string, address: string) =>
      desiredMirror([{
        source,
        service: service({ ports: [{ name: "http", port: 80 }] }, { name }),
        endpointSlices: [slice(`${name}-abc`, "IPv4", [endpoint(address)])],
      }], { legacyEndpoints: false });
    await (await caughtUp(rest)).applier.apply(exported("a-b", "c", "10.1.0.1"));
    await (await caughtUp(rest)).applier.apply(exported("a", "b-c", "10.1.0.2"));
    const byService = Object.fromEntries(
      (await rest.list<EndpointSlice>(endpointSlices, { namespace: "shop" })).items.map((item) => [
        item.metadata?.labels?.["kubernetes.io/service-name"],
        item.endpoints.flatMap((each) => each.addresses),
      ]),
    );
    deepStrictEqual(byService, { "a-b": ["10.1.0.1"], a: ["10.1.0.2"] });
  });
});

Deno.test("a slice written before slots were labelled is replaced, the new one first", async () => {
  await onHost(async (_west, rest) => {
    const first = await caughtUp(rest);
    await first.applier.apply(mirror());
    const [current] = (await rest.list<EndpointSlice>(endpointSlices, { namespace: "shop" })).items;
    ok(current);
    // What an earlier version wrote: the same slice, dash-named, without the slot label.
    const { "service-reflector.squat.ai/slot": _, ...labels } = current.metadata?.labels ?? {};
    await rest.create(endpointSlices, {
      ...current,
      metadata: {
        ...current.metadata,
        name: "web-east-ipv4-0-0",
        labels,
        resourceVersion: "",
        uid: "",
      },
    });
    await rest.delete(endpointSlices, current.metadata?.name ?? "", { namespace: "shop" });
    const upgraded = await caughtUp(rest);
    await upgraded.applier.apply(mirror());
    deepStrictEqual(
      upgraded.writes.filter((write) => write.resource === "endpointslices")
        .map((write) => `${write.verb} ${write.key}`),
      ["create shop/web.east.ipv4-0-0", "delete shop/web-east-ipv4-0-0"],
    );
  });
});
