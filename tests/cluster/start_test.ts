import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import { startCluster, withClusters } from "./mod.ts";

async function leftovers(name: string): Promise<string[]> {
  const found = [];
  for await (const entry of Deno.readDir(await tempRoot())) {
    if (entry.name.startsWith(`service-reflector-${name}-`)) found.push(entry.name);
  }
  return found;
}

/** Command lines of processes that run in the cluster's directory. */
async function processesOf(name: string): Promise<string> {
  const { stdout } = await new Deno.Command("pgrep", {
    args: ["-fa", `service-reflector-${name}-`],
  }).output();
  return new TextDecoder().decode(stdout).trim();
}

async function tempRoot(): Promise<string> {
  const probe = await Deno.makeTempDir();
  await Deno.remove(probe);
  return probe.slice(0, probe.lastIndexOf("/"));
}

Deno.test("startCluster() rejects a name that cannot name a context", async () => {
  await rejects(startCluster({ name: "East Coast" }), {
    name: "TypeError",
    message:
      `Cannot start cluster as 'name' must be lower-case letters, digits and dashes (at most 32): current value is "East Coast"`,
  });
});

Deno.test("startCluster() that fails leaves no process and no directory", async () => {
  const error = await startCluster({ name: "doomed", startTimeoutMs: 1 }).catch((error) => error);
  ok(error instanceof Error);
  ok(error.message.startsWith(`Cannot start cluster "doomed"`), error.message);
  deepStrictEqual(await leftovers("doomed"), []);
  deepStrictEqual(await processesOf("doomed"), "");
});

Deno.test("aborting a start midway leaves no process and no directory", async () => {
  const controller = new AbortController();
  const starting = startCluster({ name: "interrupted", signal: controller.signal });
  // Long enough for etcd to run, short of a ready cluster (about 3 s).
  setTimeout(() => controller.abort(new Error("interrupted by test")), 700);
  const error = await starting.catch((error) => error);
  ok(error instanceof Error);
  ok(error.message.startsWith(`Cannot start cluster "interrupted"`), error.message);
  deepStrictEqual(await leftovers("interrupted"), []);
  deepStrictEqual(await processesOf("interrupted"), "");
});

Deno.test("an aborted signal stops a started cluster", async () => {
  const controller = new AbortController();
  const cluster = await startCluster({ name: "aborted", signal: controller.signal });
  await cluster.kubectl("get", "namespaces");
  controller.abort();
  await cluster.stop();
  deepStrictEqual(await leftovers("aborted"), []);
  deepStrictEqual(await processesOf("aborted"), "");
});

Deno.test("withClusters() reports log tails and removes the clusters when the body throws", async () => {
  const reports: string[] = [];
  let dir = "";
  const error = await withClusters(["failing"], (clusters) => {
    dir = clusters[0]?.dir ?? "";
    throw new Error("body failed");
  }, { reportLogs: (tails) => reports.push(tails) }).catch((error) => error);
  ok(error instanceof Error);
  deepStrictEqual(error.message, "body failed");
  deepStrictEqual(reports.length, 1);
  for (const component of ["etcd", "kube-apiserver", "kube-controller-manager"]) {
    ok(
      reports[0]?.includes(`--- failing/${component} (${dir}/logs/${component}.log) ---`),
      component,
    );
  }
  deepStrictEqual(await leftovers("failing"), []);
  deepStrictEqual(await processesOf("failing"), "");
});
