import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { inClusterConfig, InClusterConfigError } from "./in_cluster.ts";
import { FakeClock } from "../../../tests/support/fake_clock.ts";
import { envOf, generatePki, withTempDir } from "../../../tests/support/kubeconfig_fixtures.ts";

const podEnv = envOf({ KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" });

/** Writes a ServiceAccount directory like the kubelet's projection; returns the CA PEM. */
async function writeServiceAccount(dir: string): Promise<string> {
  const pki = await generatePki(join(dir, "pki"));
  await Deno.writeTextFile(join(dir, "ca.crt"), pki.ca);
  await Deno.writeTextFile(join(dir, "namespace"), "reflector");
  await Deno.writeTextFile(join(dir, "token"), "sa-token-1");
  return pki.ca;
}

Deno.test("inClusterConfig() builds the config from the environment and ServiceAccount files", async () => {
  await withTempDir(async (dir) => {
    const ca = await writeServiceAccount(dir);
    const clock = new FakeClock();
    const { config, namespace } = await inClusterConfig({
      env: podEnv,
      serviceAccountDir: dir,
      clock,
    });
    equal(config.server.href, "https://10.96.0.1/");
    deepEqual(config.caCerts, [ca]);
    equal(namespace, "reflector");
    equal(config.origin, `in-cluster (ServiceAccount files in ${dir})`);
    deepEqual(await config.credentials.get(), { token: "sa-token-1" });

    // The kubelet rotates the token; the provider picks it up after its recheck window.
    await Deno.writeTextFile(join(dir, "token"), "sa-token-22");
    await clock.advance(1000);
    deepEqual(await config.credentials.get(), { token: "sa-token-22" });
  });
});

Deno.test("inClusterConfig() brackets an IPv6 service host", async () => {
  await withTempDir(async (dir) => {
    await writeServiceAccount(dir);
    const env = envOf({ KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "6443" });
    const { config } = await inClusterConfig({ env, serviceAccountDir: dir });
    equal(config.server.href, "https://[fd00::1]:6443/");
  });
});

Deno.test("inClusterConfig() names a missing or malformed environment variable", async () => {
  await rejects(inClusterConfig({ env: envOf({ KUBERNETES_SERVICE_PORT: "443" }) }), {
    name: "InClusterConfigError",
    reason: "missing-variable",
    file: undefined,
    message:
      "Cannot load in-cluster config as environment variable KUBERNETES_SERVICE_HOST is not set: is this process running in a Pod?",
  });
  await rejects(inClusterConfig({ env: envOf({ KUBERNETES_SERVICE_HOST: "10.96.0.1" }) }), {
    name: "InClusterConfigError",
    reason: "missing-variable",
    message:
      "Cannot load in-cluster config as environment variable KUBERNETES_SERVICE_PORT is not set: is this process running in a Pod?",
  });
  const badPort = envOf({ KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "https" });
  await rejects(inClusterConfig({ env: badPort }), {
    name: "InClusterConfigError",
    reason: "invalid-variable",
    message:
      `Cannot load in-cluster config as KUBERNETES_SERVICE_PORT must be a port number: current value is "https"`,
  });
  const badHost = envOf({ KUBERNETES_SERVICE_HOST: "bad host", KUBERNETES_SERVICE_PORT: "443" });
  await rejects(inClusterConfig({ env: badHost }), {
    name: "InClusterConfigError",
    reason: "invalid-variable",
    file: undefined,
    message:
      `Cannot load in-cluster config as KUBERNETES_SERVICE_HOST must be a host name or IP address: current value is "bad host"`,
  });
});

Deno.test("inClusterConfig() names each missing ServiceAccount file", async () => {
  for (const file of ["ca.crt", "namespace", "token"]) {
    await withTempDir(async (dir) => {
      await writeServiceAccount(dir);
      await Deno.remove(join(dir, file));
      await rejects(inClusterConfig({ env: podEnv, serviceAccountDir: dir }), (error) => {
        ok(error instanceof InClusterConfigError);
        equal(error.reason, "not-found");
        equal(
          error.message,
          `Cannot load in-cluster config as file "${join(dir, file)}" does not exist`,
        );
        equal(error.file, join(dir, file));
        ok(error.cause instanceof Deno.errors.NotFound);
        return true;
      });
    });
  }
});

Deno.test("inClusterConfig() refuses a ServiceAccount file it cannot read and says why", async () => {
  await withTempDir(async (dir) => {
    await writeServiceAccount(dir);
    const path = join(dir, "namespace");
    await Deno.remove(path);
    // A directory cannot be read as a file, whoever runs the test (root reads any file).
    await Deno.mkdir(path);
    await rejects(inClusterConfig({ env: podEnv, serviceAccountDir: dir }), (error) => {
      ok(error instanceof InClusterConfigError);
      equal(error.reason, "unreadable");
      equal(
        error.message,
        `Cannot load in-cluster config as file "${path}" is not readable (Is a directory (os error 21): readfile '${path}')`,
      );
      equal(error.file, path);
      ok(error.cause instanceof Deno.errors.IsADirectory);
      return true;
    });
  });
});

Deno.test("inClusterConfig() refuses an empty token and a CA file without certificates", async () => {
  await withTempDir(async (dir) => {
    await writeServiceAccount(dir);
    await Deno.writeTextFile(join(dir, "token"), "\n");
    await rejects(inClusterConfig({ env: podEnv, serviceAccountDir: dir }), {
      name: "InClusterConfigError",
      reason: "empty-file",
      message: `Cannot load in-cluster config as file "${join(dir, "token")}" is empty`,
      file: join(dir, "token"),
    });
    await Deno.writeTextFile(join(dir, "ca.crt"), "not a certificate\n");
    await rejects(inClusterConfig({ env: podEnv, serviceAccountDir: dir }), {
      name: "InClusterConfigError",
      reason: "invalid-certificate",
      file: join(dir, "ca.crt"),
      message: `Cannot load in-cluster config as file "${
        join(dir, "ca.crt")
      }" must hold PEM CA certificates (it holds no CERTIFICATE PEM block)`,
    });
  });
});
