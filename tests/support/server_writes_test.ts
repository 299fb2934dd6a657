/**
 * `server_writes.ts` against a real kube-apiserver's audit log: a write is
 * there once its answer is read, with who sent it and how it ended; reads
 * and reviews are not writes; a mark sees nothing from before it; and a
 * rotated log is an error, never a silent gap.
 */
import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import { type Cluster, KubectlError, withClusters } from "../cluster/mod.ts";
import { AuditLogRotatedError, describeWrite, markServerWrites } from "./server_writes.ts";

const kubectlAgent = (write: { userAgent: string }) => write.userAgent.startsWith("kubectl/");

Deno.test("markServerWrites() sees the writes after the mark, with their user, agent and outcome, and no read", async () => {
  await withClusters(["audited"], async ([cluster]) => {
    if (!cluster) throw new Error("cluster missing");
    await cluster.kubectl("create", "namespace", "before");
    const mark = await markServerWrites(cluster);
    await cluster.kubectl("create", "configmap", "one", "-n", "default");
    await cluster.kubectl("get", "configmaps", "-n", "default");
    await cluster.kubectl("auth", "can-i", "create", "services");
    await rejects(cluster.kubectl("create", "configmap", "one", "-n", "default"), KubectlError);
    await cluster.kubectl("delete", "configmap", "one", "-n", "default");

    const writes = (await mark.writes()).filter(kubectlAgent);
    deepStrictEqual(
      writes.map((write) => [write.verb, write.resource, write.namespace, write.name, write.code]),
      [
        ["create", "configmaps", "default", "one", 201],
        ["create", "configmaps", "default", "one", 409],
        ["delete", "configmaps", "default", "one", 200],
      ],
    );
    ok(writes.every((write) => write.username === "kubernetes-admin"), JSON.stringify(writes));
    ok(writes.every((write) => write.receivedAt >= mark.at));
    const [first] = writes;
    ok(first && describeWrite(first).startsWith("create configmaps default/one by kubectl/"));
    ok(describeWrite(first).endsWith(": 201"), describeWrite(first));
    deepStrictEqual(
      (await mark.writes({ resources: ["namespaces"] })).filter(kubectlAgent),
      [],
      "the namespace was created before the mark",
    );
    deepStrictEqual(
      (await mark.writes({ exceptResources: ["configmaps"] })).filter(kubectlAgent),
      [],
    );
    const agent = writes[0]?.userAgent ?? "";
    deepStrictEqual((await mark.writes({ userAgent: agent })).length, 3);
    deepStrictEqual(await mark.writes({ userAgent: agent, username: "someone-else" }), []);
  });
});

Deno.test("a write of a client of its own agent is there as soon as its answer is read", async () => {
  await withClusters(["audited-agent"], async ([cluster]) => {
    if (!cluster) throw new Error("cluster missing");
    const userAgent = `server-writes-test ${crypto.randomUUID()}`;
    const mark = await markServerWrites(cluster);
    for (let index = 0; index < 20; index++) {
      const response = await cluster.fetch("/api/v1/namespaces/default/configmaps", {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": userAgent },
        body: JSON.stringify({ metadata: { name: `c${index}` } }),
      });
      await response.text();
      ok(response.ok, `HTTP ${response.status}`);
      // No wait: the line was written before the answer ended.
      deepStrictEqual((await mark.writes({ userAgent })).length, index + 1);
    }
  });
});

Deno.test("a mark refuses a log that shrank below it: AuditLogRotatedError", async () => {
  const dir = await Deno.makeTempDir({ prefix: "server-writes-" });
  try {
    const auditLogPath = `${dir}/audit.jsonl`;
    await Deno.writeTextFile(auditLogPath, "{}\n".repeat(10));
    const cluster = { auditLogPath } as Cluster;
    const mark = await markServerWrites(cluster);
    await Deno.writeTextFile(auditLogPath, "");
    await rejects(mark.writes(), AuditLogRotatedError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
