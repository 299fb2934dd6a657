import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { withClusters } from "../../tests/cluster/mod.ts";
import { adminConfig, tokenConfig } from "../../tests/support/client_configs.ts";
import { reviewAccess } from "./access_review.ts";
import { RestClient } from "./rest.ts";
import { StatusError } from "./status_error.ts";
import { Transport } from "./transport.ts";

Deno.test("reviewAccess() tells what the server decides for the client's own identity, by verb, namespace and name", async () => {
  await withClusters(["access-review"], async ([cluster]) => {
    if (!cluster) throw new Error("cluster missing");
    await cluster.kubectl("create", "namespace", "shop");
    await cluster.kubectl("create", "serviceaccount", "reader", "-n", "shop");
    await cluster.kubectl(
      "create",
      "role",
      "read-web",
      "-n",
      "shop",
      "--verb=get",
      "--resource=services",
      "--resource-name=web",
    );
    await cluster.kubectl(
      "create",
      "rolebinding",
      "read-web",
      "-n",
      "shop",
      "--role=read-web",
      "--serviceaccount=shop:reader",
    );
    const token = (await cluster.kubectl("create", "token", "reader", "-n", "shop")).trim();
    using asReader = new Transport(tokenConfig(cluster, token));
    using asAdmin = new Transport(adminConfig(cluster));
    const reader = new RestClient(asReader);
    const web = { verb: "get", group: "", resource: "services", namespace: "shop", name: "web" };
    const allowed = async (attributes: Parameters<typeof reviewAccess>[1]) =>
      (await reviewAccess(reader, attributes)).allowed;

    const decision = await reviewAccess(reader, web);
    equal(decision.allowed, true);
    ok(decision.reason.includes("read-web"), decision.reason);
    deepStrictEqual(
      await Promise.all([
        allowed({ ...web, name: "db" }),
        allowed({ ...web, namespace: "" }),
        allowed({ ...web, namespace: "default" }),
        allowed({ ...web, verb: "update" }),
        allowed({ ...web, group: "discovery.k8s.io", resource: "endpointslices" }),
      ]),
      [false, false, false, false, false],
      "another name, every namespace, another namespace, another verb, another resource",
    );
    const clusterWide = { verb: "create", group: "", resource: "namespaces" };
    equal(await allowed(clusterWide), false);
    equal((await reviewAccess(new RestClient(asAdmin), clusterWide)).allowed, true);

    using stranger = new Transport(tokenConfig(cluster, "not-a-token"));
    await rejects(
      reviewAccess(new RestClient(stranger), web),
      (error) => error instanceof StatusError && error.code === 401,
    );
  });
});
