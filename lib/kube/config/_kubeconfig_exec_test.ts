import { deepEqual, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { loadKubeconfig } from "./kubeconfig.ts";
import {
  base64,
  envOf,
  execV1,
  expectedExecInfo,
  type ExpectedLoadError,
  generatePki,
  kubeconfig,
  readExecInfo,
  rejectsLoading,
  withTempDir,
  writeScript,
  writeYaml,
} from "../../../tests/support/kubeconfig_fixtures.ts";

const V1 = execV1;

/** A plugin that saves KUBERNETES_EXEC_INFO next to itself and answers with a fixed token. */
async function writeTokenPlugin(path: string): Promise<string> {
  return await writeScript(
    path,
    `printf '%s' "$KUBERNETES_EXEC_INFO" > "$(dirname "$0")/exec-info.json"
echo '{"apiVersion":"${V1}","kind":"ExecCredential","status":{"token":"from-plugin"}}'`,
  );
}

Deno.test("loadKubeconfig() runs an exec plugin named relative to the kubeconfig, with cluster info", async () => {
  await withTempDir(async (dir) => {
    const pki = await generatePki(join(dir, "pki"));
    await Deno.mkdir(join(dir, "bin"));
    await writeTokenPlugin(join(dir, "bin", "plugin"));
    const path = await writeYaml(join(dir, "config"), {
      ...kubeconfig({
        cluster: {
          server: "https://10.0.0.1:6443",
          "certificate-authority-data": base64(pki.ca),
          extensions: [{ name: "client.authentication.k8s.io/exec", extension: { audience: "x" } }],
        },
        user: {
          exec: {
            apiVersion: V1,
            command: "./bin/plugin",
            interactiveMode: "Never",
            provideClusterInfo: true,
          },
        },
      }),
    });
    const loaded = await loadKubeconfig({ path, env: envOf({}) });
    deepEqual(await loaded.config.credentials.get(), { token: "from-plugin" });
    deepEqual(
      await readExecInfo(join(dir, "bin")),
      expectedExecInfo({
        server: "https://10.0.0.1:6443",
        "certificate-authority-data": base64(pki.ca),
        config: { audience: "x" },
      }),
    );
  });
});

Deno.test("loadKubeconfig() finds a bare exec command on PATH", async () => {
  await withTempDir(async (dir) => {
    await writeTokenPlugin(join(dir, "kube-plugin"));
    const path = await writeYaml(
      join(dir, "config"),
      kubeconfig({
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "kube-plugin",
            env: [{ name: "PATH", value: `${dir}:/usr/bin:/bin` }],
          },
        },
      }),
    );
    const loaded = await loadKubeconfig({ path, env: envOf({ PATH: `/nowhere:${dir}` }) });
    // The plugin answers v1 while configured for v1beta1: found and run, then refused.
    await rejects(loaded.config.credentials.get(), (error) => {
      ok(error instanceof Error);
      ok(error.message.includes(`its output has apiVersion "${V1}"`), error.message);
      return true;
    });
  });
});

/** Loads a kubeconfig whose user is `exec` with `PATH` set to its directory. */
function rejectsExec(exec: Record<string, unknown>, expected: ExpectedLoadError): Promise<void> {
  return rejectsLoading(kubeconfig({ user: { exec } }), expected, {
    env: (dir) => envOf({ PATH: dir }),
    setup: (dir) => Deno.writeTextFile(join(dir, "not-executable"), ""),
  });
}

Deno.test("loadKubeconfig() refuses an exec command that is not found", async () => {
  await rejectsExec(
    { apiVersion: V1, interactiveMode: "Never", command: "kubelogin", installHint: "see docs" },
    {
      reason: "exec-command",
      message: () =>
        `user "test" field 'exec.command' must name an executable on PATH: current value is "kubelogin" (see docs)`,
      notFound: true,
    },
  );
  await rejectsExec({ apiVersion: V1, interactiveMode: "Never", command: "./missing" }, {
    reason: "exec-command",
    message: (dir) =>
      `user "test" field 'exec.command' must name an executable file: current value is "${
        join(dir, "missing")
      }"`,
    notFound: true,
  });
  await rejectsExec({ apiVersion: V1, interactiveMode: "Never", command: "./not-executable" }, {
    reason: "exec-command",
    message: (dir) =>
      `user "test" field 'exec.command' must name an executable file: current value is "${
        join(dir, "not-executable")
      }" (not executable)`,
  });
});

Deno.test({
  name: "loadKubeconfig() refuses an exec plugin without the unscoped run permission",
  permissions: { read: true, write: true, env: true, run: ["bash"] },
  fn: async () => {
    await rejectsExec({ apiVersion: V1, interactiveMode: "Never", command: "/bin/true" }, {
      reason: "exec-permission",
      message: () =>
        `user "test" of context "test" runs exec plugin "/bin/true", which needs permission --allow-run (unscoped, to end its process group): run with --allow-run, or build with deno task compile:exec`,
    });
  },
});

Deno.test("loadKubeconfig() refuses exec settings kubectl refuses or this client cannot honour", async () => {
  await rejectsExec({ apiVersion: V1, interactiveMode: "Always", command: "/bin/true" }, {
    reason: "unsupported",
    message: () =>
      `user "test" field 'exec.interactiveMode' must be Never or IfAvailable, as the plugin never gets a terminal here: current value is "Always"`,
  });
  await rejectsExec({ apiVersion: V1, command: "/bin/true" }, {
    reason: "invalid-field",
    message: () =>
      `user "test" field 'exec.interactiveMode' must be set for v1 (use Never): current value is undefined`,
  });
  await rejectsExec(
    { apiVersion: "client.authentication.k8s.io/v1alpha1", command: "/bin/true" },
    {
      reason: "invalid-field",
      message: () =>
        `user "test" field 'exec.apiVersion' must be one of ${V1}, client.authentication.k8s.io/v1beta1: current value is "client.authentication.k8s.io/v1alpha1"`,
    },
  );
  await rejectsExec(
    { apiVersion: V1, interactiveMode: "Never", command: "/bin/true", env: [{ value: "x" }] },
    {
      reason: "invalid-field",
      message: () =>
        `user "test" field 'exec.env' must be a list of {name, value} strings: current value is a list`,
    },
  );
});
