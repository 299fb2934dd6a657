/**
 * The applier against a real host apiserver whose caches have not caught
 * up: each case hands it empty caches while the host already holds the
 * objects, which is what a worker sees when its own earlier write has not
 * reached the informers yet, or when a name is taken by someone else.
 */
import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import type { Endpoints, Namespace, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { type Cluster, withClusters } from "../../tests/cluster/mod.ts";
import { adminConfig } from "../../tests/support/client_configs.ts";
import { endpoint, service, slice } from "../../tests/support/desired_fixtures.ts";
import { RestClient } from "../kube/rest.ts";
import { endpointSlices, services } from "../kube/resource.ts";
import { Store } from "../kube/store.ts";
import { Transport } from "../kube/transport.ts";
import { sliceIndexers } from "./_informers.ts";
import { Applier, NameTakenError, type Write } from "./applier.ts";
import { desiredMirror } from "./desired.ts";

/** An applier of `rest` whose host caches are empty, recording its writes. */
function lagging(rest: RestClient): { applier: Applier; writes: Write[] } {
  const writes: Write[] = [];
  const applier = new Applier({
    rest,
    host: {
      services: new Store<Service>(),
      endpointSlices: new Store<EndpointSlice>({ indexers: sliceIndexers }),
      endpoints: new Store<Endpoints>(),
      namespaces: new Store<Namespace>(),
    },
    observer: { onWrite: (write) => writes.push(write) },
  });
  return { applier, writes };
}

/** Runs `body` with a fresh host cluster that has namespace `shop`, and an admin client of it. */
async function onHost(body: (west: Cluster, rest: RestClient) => Promise<void>): Promise<void> {
  await withClusters(["west"], async ([west]) => {
    if (!west) throw new Error("cluster missing");
    using transport = new Transport(adminConfig(west));
    await west.kubectl("create", "namespace", "shop");
    await body(west, new RestClient(transport));
  });
}

const mirror = () =>
  desiredMirror([{
    source: "east",
    service: service({ type: "ClusterIP", ports: [{ name: "http", port: 80 }] }),
    endpointSlices: [slice("web-abc", "IPv4", [endpoint("10.1.0.1")])],
  }], { legacyEndpoints: true });

Deno.test("a create that answers AlreadyExists reads the object and compares it instead of failing", async () => {
  await onHost(async (_west, rest) => {
    const first = lagging(rest);
    await first.applier.apply(mirror());
    deepStrictEqual(
      first.writes.map((write) => `${write.verb} ${write.resource}`).sort(),
      ["create endpoints", "create endpointslices", "create services"],
    );

    // The same mirror again, through caches that have seen none of it.
    const second = lagging(rest);
    await second.applier.apply(mirror());
    deepStrictEqual(second.writes, [], "what the host holds already is the mirror: no write");
  });
});

Deno.test("a name taken by an object the Reflector does not own is a NameTakenError, and nothing is written over it", async () => {
  await onHost(async (west, rest) => {
    await west.kubectl("create", "service", "clusterip", "web", "-n", "shop", "--tcp=1234:1234");
    const { applier, writes } = lagging(rest);
    const error = await applier.apply(mirror()).catch((error) => error);
    ok(error instanceof NameTakenError, String(error));
    equal(error.resource, "services");
    equal(error.key, "shop/web");
    equal(error.object.metadata?.labels?.["app.kubernetes.io/managed-by"], undefined);
    deepStrictEqual(writes, []);
    const untouched = await rest.get<Service>(services, "web", { namespace: "shop" });
    equal(untouched.spec?.ports?.[0]?.port, 1234, "the host's own Service is left as it was");
  });
});

Deno.test("a slice name taken by a foreign EndpointSlice is a NameTakenError naming it", async () => {
  await onHost(async (_west, rest) => {
    const wanted = mirror();
    const name = wanted.endpointsFor({ name: "web", uid: "u" }).endpointSlices[0]?.metadata?.name;
    ok(name);
    await rest.create(endpointSlices, {
      metadata: { name, namespace: "shop", labels: { "kubernetes.io/service-name": "web" } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.9.9.9"] }],
    });
    const { applier } = lagging(rest);
    await rejects(applier.apply(wanted), (error: unknown) => {
      ok(error instanceof NameTakenError, String(error));
      equal(error.resource, "endpointslices");
      equal(error.key, `shop/${name}`);
      return true;
    });
    const foreign = await rest.get<EndpointSlice>(endpointSlices, name, { namespace: "shop" });
    deepStrictEqual(foreign.endpoints.map((each) => each.addresses[0]), ["10.9.9.9"]);
  });
});
