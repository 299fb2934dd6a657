import { equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { loadKubeconfig } from "./kubeconfig.ts";
import { KubeconfigError } from "./kubeconfig_error.ts";
import {
  envOf,
  kubeconfig,
  namedCluster,
  namedContext,
  rejectsLoading,
  withTempDir,
  writeYaml,
} from "../../../tests/support/kubeconfig_fixtures.ts";

const noEnv = envOf({});

Deno.test("loadKubeconfig() merges KUBECONFIG files with the first definition of a name winning", async () => {
  await withTempDir(async (dir) => {
    const first = await writeYaml(join(dir, "first"), {
      clusters: [namedCluster("https://first:6443", "shared")],
      contexts: [namedContext("from-first", "shared")],
    });
    const second = await writeYaml(join(dir, "second"), {
      clusters: [
        namedCluster("https://second:6443", "shared"),
        namedCluster("https://only:6443", "only"),
      ],
      contexts: [namedContext("from-first", "only"), namedContext("from-second", "only")],
      "current-context": "from-first",
    });
    const third = await writeYaml(join(dir, "third"), { "current-context": "from-second" });
    const missing = join(dir, "missing");
    const env = envOf({ KUBECONFIG: `${first}:${missing}::${second}:${third}:${first}` });

    // current-context comes from the first file that sets it (second, not third), and
    // context "from-first" and cluster "shared" from the first file that defines them.
    const loaded = await loadKubeconfig({ env });
    equal(loaded.contextName, "from-first");
    equal(loaded.config.server.host, "first:6443");
    equal(loaded.config.origin, `kubeconfig ${first} (context "from-first")`);
    const other = await loadKubeconfig({ env, context: "from-second" });
    equal(other.config.server.host, "only:6443");
  });
});

Deno.test("loadKubeconfig() fails when no KUBECONFIG file exists", async () => {
  await withTempDir(async (dir) => {
    const list = `${join(dir, "a")}:${join(dir, "b")}`;
    await rejects(loadKubeconfig({ env: envOf({ KUBECONFIG: list, HOME: dir }) }), (error) => {
      ok(error instanceof KubeconfigError);
      equal(error.reason, "not-found");
      equal(
        error.message,
        `Cannot load kubeconfig as none of the files in KUBECONFIG exist: current value is "${list}"`,
      );
      equal(error.file, undefined);
      ok(error.cause instanceof Deno.errors.NotFound);
      return true;
    });
  });
});

Deno.test("loadKubeconfig() falls back to $HOME/.kube/config", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, ".kube"));
    await writeYaml(join(dir, ".kube", "config"), kubeconfig({ name: "home" }));
    const loaded = await loadKubeconfig({ env: envOf({ HOME: dir, KUBECONFIG: "" }) });
    equal(loaded.contextName, "home");
    equal(loaded.config.origin, `kubeconfig ${join(dir, ".kube", "config")} (context "home")`);
  });
});

Deno.test("loadKubeconfig() prefers an explicit path over KUBECONFIG", async () => {
  await withTempDir(async (dir) => {
    const fromEnv = await writeYaml(join(dir, "env"), kubeconfig({ name: "env" }));
    const explicit = await writeYaml(join(dir, "explicit"), kubeconfig({ name: "explicit" }));
    const loaded = await loadKubeconfig({ path: explicit, env: envOf({ KUBECONFIG: fromEnv }) });
    equal(loaded.contextName, "explicit");
  });
});

Deno.test("loadKubeconfig() fails when neither KUBECONFIG nor HOME is set", async () => {
  await rejects(loadKubeconfig({ env: noEnv }), {
    name: "KubeconfigError",
    reason: "not-found",
    message: "Cannot load kubeconfig as neither KUBECONFIG nor HOME is set: pass a kubeconfig path",
    file: undefined,
  });
});

Deno.test("loadKubeconfig() fails on a missing explicit file and keeps NotFound as the cause", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "config");
    await rejects(loadKubeconfig({ path, env: noEnv }), (error) => {
      ok(error instanceof KubeconfigError);
      equal(error.reason, "not-found");
      equal(error.message, `Cannot load kubeconfig "${path}": file not found`);
      equal(error.file, path);
      ok(error.cause instanceof Deno.errors.NotFound);
      return true;
    });
  });
});

Deno.test("loadKubeconfig() fails on a file it cannot read and keeps the read error as the cause", async () => {
  await withTempDir(async (dir) => {
    // A directory exists but cannot be read as a file, whoever runs the test (root reads any file).
    await rejects(loadKubeconfig({ path: dir, env: noEnv }), (error) => {
      ok(error instanceof KubeconfigError);
      equal(error.reason, "unreadable");
      equal(
        error.message,
        `Cannot load kubeconfig "${dir}": file is not readable: Is a directory (os error 21): readfile '${dir}'`,
      );
      equal(error.file, dir);
      ok(error.cause instanceof Deno.errors.IsADirectory);
      return true;
    });
  });
});

Deno.test("loadKubeconfig() refuses unparsable YAML", async () => {
  await rejectsLoading("clusters: [\n", {
    reason: "invalid-yaml",
    message: () =>
      "invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1",
  });
});

Deno.test("loadKubeconfig() refuses a document of the wrong shape", async () => {
  await rejectsLoading("- a\n- b\n", {
    reason: "invalid-field",
    message: () => "the document must be a mapping: current value is a list",
  });
  await rejectsLoading({ clusters: { name: "x" } }, {
    reason: "invalid-field",
    message: () => "field 'clusters' must be a list: current value is a mapping",
  });
  await rejectsLoading({ users: [{ user: {} }] }, {
    reason: "invalid-field",
    message: () => "users[0] field 'name' must be a non-empty string: current value is undefined",
  });
  await rejectsLoading({ contexts: [namedContext("a"), namedContext("a")] }, {
    reason: "duplicate-entry",
    message: () => `context "a" is defined more than once`,
  });
});

Deno.test("loadKubeconfig() treats an empty file as an empty config", async () => {
  await rejectsLoading("", {
    reason: "context-not-found",
    message: () => "no context was given and 'current-context' is not set (contexts: none)",
    inFile: false,
  });
});
