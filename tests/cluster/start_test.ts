import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import { startCluster } from "./mod.ts";

async function leftovers(name: string): Promise<string[]> {
  const found = [];
  for await (const entry of Deno.readDir(await tempRoot())) {
    if (entry.name.startsWith(`service-reflector-${name}-`)) found.push(entry.name);
  }
  return found;
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
  const { stdout } = await new Deno.Command("pgrep", { args: ["-f", "service-reflector-doomed-"] })
    .output();
  deepStrictEqual(new TextDecoder().decode(stdout).trim(), "");
});

Deno.test("an aborted signal stops a started cluster", async () => {
  const controller = new AbortController();
  const cluster = await startCluster({ name: "aborted", signal: controller.signal });
  await cluster.kubectl("get", "namespaces");
  controller.abort();
  await cluster.stop();
  deepStrictEqual(await leftovers("aborted"), []);
});
