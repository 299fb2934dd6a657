import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import type { ConfigMap, Service } from "kubernetes-types/core/v1.d.ts";
import { type Cluster, withClusters } from "../../tests/cluster/mod.ts";
import {
  adminConfig,
  CountingCredentials,
  tokenConfig,
} from "../../tests/support/client_configs.ts";
import { RestClient } from "./rest.ts";
import { configMaps } from "../../tests/support/resources.ts";
import { namespaces, services } from "./resource.ts";
import {
  isAlreadyExists,
  isConflict,
  isForbidden,
  isGone,
  isNotFound,
  isUnauthorized,
  StatusError,
} from "./status_error.ts";
import { Transport } from "./transport.ts";

const namespace = "rest";

function service(name: string, labels: Record<string, string> = {}): Service {
  return {
    metadata: { name, namespace, labels },
    spec: { ports: [{ name: "http", port: 80 }], selector: { app: name } },
  };
}

async function withRest(
  cluster: Cluster,
  body: (rest: RestClient) => Promise<void>,
): Promise<void> {
  using transport = new Transport(adminConfig(cluster));
  await body(new RestClient(transport));
}

async function crud(cluster: Cluster): Promise<void> {
  await withRest(cluster, async (rest) => {
    await rest.create(namespaces, { metadata: { name: namespace } });
    const missing = await rest.get(services, "web", { namespace }).catch((error) => error);
    ok(isNotFound(missing), String(missing));
    equal(missing instanceof StatusError && missing.code, 404);

    const created = await rest.create<Service>(services, service("web"));
    equal(created.kind, "Service");
    ok(created.spec?.clusterIP);
    ok(isAlreadyExists(await rest.create(services, service("web")).catch((error) => error)));

    const stale = structuredClone(created);
    const updated = await rest.update<Service>(services, {
      ...created,
      metadata: { ...created.metadata, labels: { tier: "one" } },
    });
    equal(updated.metadata?.labels?.["tier"], "one");
    const conflict = await rest.update(services, {
      ...stale,
      metadata: { ...stale.metadata, labels: { tier: "two" } },
    })
      .catch((error) => error);
    ok(isConflict(conflict), String(conflict));

    const merged = await rest.patch<Service>(services, "web", {
      metadata: { labels: { merged: "yes" } },
    }, {
      namespace,
      patchType: "merge",
    });
    deepStrictEqual(merged.metadata?.labels, { tier: "one", merged: "yes" });

    const applied = await rest.patch<Service>(
      services,
      "web",
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "web", namespace, annotations: { owner: "apply" } },
      },
      { namespace, patchType: "apply", fieldManager: "rest-test" },
    );
    equal(applied.metadata?.annotations?.["owner"], "apply");
    ok(applied.metadata?.managedFields?.some((entry) => entry.manager === "rest-test"));
    await rejects(
      rest.patch(services, "web", {}, { namespace, patchType: "apply" }),
      {
        name: "TypeError",
        message: `Cannot apply services "web" as server-side apply requires 'fieldManager'`,
      },
    );

    const dryRun = await rest.create<Service>(services, service("dry"), { dryRun: "All" });
    equal(dryRun.metadata?.name, "dry");
    ok(isNotFound(await rest.get(services, "dry", { namespace }).catch((error) => error)));

    const wrongUid = await rest.delete(services, "web", {
      namespace,
      preconditions: { uid: "00000000-0000-0000-0000-000000000000" },
    }).catch((error) => error);
    ok(isConflict(wrongUid), String(wrongUid));
    await rest.delete(services, "web", {
      namespace,
      preconditions: { uid: created.metadata?.uid ?? "" },
    });
    ok(isNotFound(await rest.get(services, "web", { namespace }).catch((error) => error)));
  });
}

async function pagination(cluster: Cluster): Promise<void> {
  const credentials = new CountingCredentials({ clientCertificate: cluster.admin });
  using transport = new Transport({ ...adminConfig(cluster), credentials });
  const rest = new RestClient(transport);
  for (let index = 0; index < 25; index++) {
    await rest.create<ConfigMap>(configMaps, {
      metadata: {
        name: `page-${String(index).padStart(2, "0")}`,
        namespace,
        labels: { parity: String(index % 2) },
      },
    });
  }
  credentials.gets = 0;
  const all = await rest.list<ConfigMap>(configMaps, {
    namespace,
    labelSelector: "parity",
    limit: 10,
  });
  equal(credentials.gets, 3, "25 objects in pages of 10 take 3 requests");
  deepStrictEqual(
    all.items.map((item) => item.metadata?.name),
    Array.from({ length: 25 }, (_, index) => `page-${String(index).padStart(2, "0")}`),
  );
  ok(Number(all.resourceVersion) > 0);

  const odd = await rest.list<ConfigMap>(configMaps, {
    namespace,
    labelSelector: "parity=1",
    limit: 5,
  });
  equal(odd.items.length, 12);
  const one = await rest.list<ConfigMap>(configMaps, {
    namespace,
    fieldSelector: "metadata.name=page-07",
  });
  deepStrictEqual(one.items.map((item) => item.metadata?.name), ["page-07"]);
  await rejects(rest.list(configMaps, { limit: 0 }), {
    name: "RangeError",
    message: "Cannot list configmaps as 'limit' must be a positive integer: current value is 0",
  });
}

async function watching(cluster: Cluster): Promise<void> {
  await withRest(cluster, async (rest) => {
    const created = await rest.create<ConfigMap>(configMaps, {
      metadata: { name: "watched", namespace },
    });
    const from = created.metadata?.resourceVersion ?? "";
    await rest.patch(configMaps, "watched", { data: { step: "1" } }, {
      namespace,
      patchType: "merge",
    });
    const controller = new AbortController();
    const seen = [];
    for await (
      const event of rest.watch<ConfigMap>(configMaps, {
        namespace,
        fieldSelector: "metadata.name=watched",
        resourceVersion: from,
        signal: controller.signal,
      })
    ) {
      seen.push([event.type, event.object.data?.["step"]]);
      if (event.type === "MODIFIED") controller.abort();
    }
    deepStrictEqual(seen, [["MODIFIED", "1"]]);

    // This cluster has no watch cache: compaction expires old versions at
    // once. The compaction must pass the first version the watch would
    // replay, or etcd replays it without its previous state (a 500).
    await rest.patch(configMaps, "watched", { data: { step: "2" } }, {
      namespace,
      patchType: "merge",
    });
    await cluster.compact();
    const expired = await (async () => {
      for await (const _ of rest.watch(configMaps, { namespace, resourceVersion: from })) {
        // No event can come before the ERROR.
      }
    })().catch((error) => error);
    ok(isGone(expired), String(expired));
    equal(expired.reason, "Expired");
  });
}

async function authentication(cluster: Cluster): Promise<void> {
  const credentials = new CountingCredentials({ token: "not-a-valid-token" });
  using anonymous = new Transport({ ...tokenConfig(cluster, ""), credentials });
  const unauthorized = await new RestClient(anonymous).list(services).catch((error) => error);
  ok(isUnauthorized(unauthorized), String(unauthorized));
  equal(credentials.invalidations, 1, "a 401 invalidates the credentials once");
  equal(credentials.gets, 2, "and the request is retried once");

  await cluster.kubectl("create", "serviceaccount", "nobody", "-n", namespace);
  const token = (await cluster.kubectl("create", "token", "nobody", "-n", namespace)).trim();
  using limited = new Transport(tokenConfig(cluster, token));
  const forbidden = await new RestClient(limited).list(services, { namespace }).catch((error) =>
    error
  );
  ok(isForbidden(forbidden), String(forbidden));
  ok(forbidden.message.includes(`system:serviceaccount:${namespace}:nobody`), forbidden.message);

  using admin = new Transport(tokenConfig(cluster, cluster.token));
  const listed = await new RestClient(admin).list(services, { namespace: "default" });
  ok(listed.items.some((item) => item.metadata?.name === "kubernetes"));
}

Deno.test("RestClient against a real apiserver", async (t) => {
  await withClusters([{ name: "rest", watchCache: false }], async ([cluster]) => {
    if (!cluster) throw new Error("no cluster");
    await t.step(
      "get, create, update, patch and delete classify errors by reason",
      () => crud(cluster),
    );
    await t.step("list follows continue tokens and applies selectors", () => pagination(cluster));
    await t.step(
      "watch resumes from a resourceVersion and reports 410 as Gone",
      () => watching(cluster),
    );
    await t.step(
      "401 retries once with fresh credentials; 403 names the user",
      () => authentication(cluster),
    );
  });
});
