import { deepEqual, equal, rejects, throws } from "node:assert/strict";
import { join } from "node:path";
import { execCredentials, type ExecPlugin } from "./exec_credential.ts";
import { FakeClock } from "../../../tests/support/fake_clock.ts";
import {
  execV1,
  execV1beta1,
  expectedExecInfo,
  generatePki,
  readExecInfo,
  withTempDir,
  writeScript,
} from "../../../tests/support/kubeconfig_fixtures.ts";
import { untilGone, writeHangingPlugin } from "../../../tests/support/hanging_plugin.ts";

const V1 = execV1;
const V1BETA1 = execV1beta1;

/**
 * A plugin that records each run (a line in `runs`), what it was given
 * (`exec-info.json`, `args`, `greeting`), then prints `output.json`, which
 * tests rewrite to change its answer.
 */
async function writePlugin(dir: string): Promise<string> {
  return await writeScript(
    join(dir, "plugin"),
    `here="$(dirname "$0")"
echo run >> "$here/runs"
printf '%s' "\${KUBERNETES_EXEC_INFO:-}" > "$here/exec-info.json"
printf '%s' "$*" > "$here/args"
printf '%s' "\${GREETING:-}" > "$here/greeting"
sleep "\${PLUGIN_DELAY:-0}"
cat "$here/output.json"`,
  );
}

async function answer(dir: string, status: unknown, apiVersion = V1): Promise<void> {
  await Deno.writeTextFile(
    join(dir, "output.json"),
    JSON.stringify({ apiVersion, kind: "ExecCredential", status }),
  );
}

async function runs(dir: string): Promise<number> {
  try {
    return (await Deno.readTextFile(join(dir, "runs"))).split("\n").filter(Boolean).length;
  } catch {
    return 0;
  }
}

const EXPIRY = Date.parse("2030-01-01T00:00:00Z");

Deno.test("execCredentials() caches a token until its expiration by the clock", async () => {
  await withTempDir(async (dir) => {
    const command = await writePlugin(dir);
    const clock = new FakeClock(EXPIRY - 10_000);
    const provider = execCredentials({ apiVersion: V1, command }, { clock });
    await answer(dir, { token: "first", expirationTimestamp: "2030-01-01T00:00:00Z" });
    deepEqual(await provider.get(), { token: "first" });

    await answer(dir, { token: "second", expirationTimestamp: "2030-01-01T01:00:00Z" });
    await clock.advance(9_999);
    deepEqual(await provider.get(), { token: "first" });
    equal(await runs(dir), 1);

    await clock.advance(1);
    deepEqual(await provider.get(), { token: "second" });
    equal(await runs(dir), 2);
  });
});

Deno.test("execCredentials() caches a result without expiration until invalidate()", async () => {
  await withTempDir(async (dir) => {
    const command = await writePlugin(dir);
    const clock = new FakeClock();
    const provider = execCredentials({ apiVersion: V1, command }, { clock });
    await answer(dir, { token: "first" });
    deepEqual(await provider.get(), { token: "first" });
    await answer(dir, { token: "second" });
    await clock.advance(365 * 24 * 3600_000);
    deepEqual(await provider.get(), { token: "first" });
    provider.invalidate();
    deepEqual(await provider.get(), { token: "second" });
    equal(await runs(dir), 2);
  });
});

Deno.test("execCredentials() returns a client certificate from the plugin", async () => {
  await withTempDir(async (dir) => {
    const pki = await generatePki(join(dir, "pki"));
    const command = await writePlugin(dir);
    await answer(dir, { clientCertificateData: pki.cert, clientKeyData: pki.key });
    const provider = execCredentials({ apiVersion: V1, command });
    deepEqual(await provider.get(), { clientCertificate: { cert: pki.cert, key: pki.key } });
  });
});

Deno.test("execCredentials() gives the plugin its args, env and KUBERNETES_EXEC_INFO", async () => {
  await withTempDir(async (dir) => {
    const command = await writePlugin(dir);
    await answer(dir, { token: "t" });
    const cluster = { server: "https://10.0.0.1:6443", certificateAuthorityData: "Q0E=" };
    const plugin: ExecPlugin = {
      apiVersion: V1,
      command,
      args: ["get-token", "--cluster", "east"],
      env: { GREETING: "hello", KUBERNETES_EXEC_INFO: "overridden" },
      interactiveMode: "IfAvailable",
    };
    await execCredentials(plugin, { cluster: { ...cluster, config: { region: "eu" } } }).get();
    equal(await Deno.readTextFile(join(dir, "args")), "get-token --cluster east");
    equal(await Deno.readTextFile(join(dir, "greeting")), "hello");
    deepEqual(
      await readExecInfo(dir),
      expectedExecInfo({
        server: "https://10.0.0.1:6443",
        "certificate-authority-data": "Q0E=",
        config: { region: "eu" },
      }),
    );

    // Without cluster info, spec.cluster is left out.
    await execCredentials({ apiVersion: V1, command }).get();
    deepEqual(await readExecInfo(dir), expectedExecInfo());
  });
});

Deno.test("execCredentials() shares one run between concurrent get() calls", async () => {
  await withTempDir(async (dir) => {
    const command = await writePlugin(dir);
    await answer(dir, { token: "shared" });
    const provider = execCredentials({ apiVersion: V1, command, env: { PLUGIN_DELAY: "0.3" } });
    const results = await Promise.all([provider.get(), provider.get(), provider.get()]);
    deepEqual(results, [{ token: "shared" }, { token: "shared" }, { token: "shared" }]);
    equal(await runs(dir), 1);
  });
});

Deno.test("execCredentials() starts a new run for get() after invalidate() during a run", async () => {
  await withTempDir(async (dir) => {
    const command = await writePlugin(dir);
    await answer(dir, { token: "t" });
    const provider = execCredentials({ apiVersion: V1, command, env: { PLUGIN_DELAY: "0.2" } });
    const before = provider.get();
    provider.invalidate();
    const after = provider.get();
    deepEqual(await Promise.all([before, after]), [{ token: "t" }, { token: "t" }]);
    equal(await runs(dir), 2);
  });
});

Deno.test("execCredentials() lets one caller give up without failing the shared run", async () => {
  await withTempDir(async (dir) => {
    const command = await writePlugin(dir);
    await answer(dir, { token: "shared" });
    const provider = execCredentials({ apiVersion: V1, command, env: { PLUGIN_DELAY: "0.3" } });
    const controller = new AbortController();
    const abandoned = provider.get(controller.signal);
    const patient = provider.get();
    controller.abort(new Error("caller gave up"));
    await rejects(abandoned, { message: "caller gave up" });
    deepEqual(await patient, { token: "shared" });
    equal(await runs(dir), 1);
  });
});

Deno.test("execCredentials() fails with the exit code and stderr of a failing plugin", async () => {
  await withTempDir(async (dir) => {
    const command = await writeScript(
      join(dir, "plugin"),
      `echo "  please run 'cloud login'  " >&2\nexit 3`,
    );
    await rejects(execCredentials({ apiVersion: V1, command }).get(), {
      name: "Error",
      message:
        `Cannot get credentials from exec plugin "${command}": exited with code 3 (stderr: please run 'cloud login')`,
    });
  });
});

Deno.test("execCredentials() bounds the stderr it quotes", async () => {
  await withTempDir(async (dir) => {
    const command = await writeScript(
      join(dir, "plugin"),
      `head -c 100000 /dev/zero | tr '\\0' x >&2\nexit 1`,
    );
    await rejects(execCredentials({ apiVersion: V1, command }).get(), {
      message: `Cannot get credentials from exec plugin "${command}": exited with code 1 (stderr: ${
        "x".repeat(1024)
      }... (truncated))`,
    });
  });
});

Deno.test("execCredentials() fails on output that is not an ExecCredential", async () => {
  await withTempDir(async (dir) => {
    const command = await writePlugin(dir);
    const provider = execCredentials({ apiVersion: V1, command });
    const prefix = `Cannot get credentials from exec plugin "${command}": `;
    await Deno.writeTextFile(join(dir, "output.json"), "not json");
    await rejects(provider.get(), {
      message:
        `${prefix}its output is not JSON (Unexpected token 'o', "not json" is not valid JSON) (stderr: empty)`,
    });
    await answer(dir, { token: "t" }, V1BETA1);
    await rejects(provider.get(), {
      message: `${prefix}its output has apiVersion "${V1BETA1}", expected "${V1}" (stderr: empty)`,
    });
    await answer(dir, {});
    await rejects(provider.get(), {
      message:
        `${prefix}its output has neither 'status.token' nor a client certificate (stderr: empty)`,
    });
    await answer(dir, { clientCertificateData: "cert" });
    await rejects(provider.get(), {
      message:
        `${prefix}its output must set both 'status.clientCertificateData' and 'status.clientKeyData' or neither (stderr: empty)`,
    });
    await answer(dir, { token: "t", expirationTimestamp: "tomorrow" });
    await rejects(provider.get(), {
      message:
        `${prefix}its 'status.expirationTimestamp' must be an RFC 3339 time: current value is "tomorrow" (stderr: empty)`,
    });
    equal(await runs(dir), 5);
  });
});

Deno.test("execCredentials() speaks v1beta1", async () => {
  await withTempDir(async (dir) => {
    const command = await writePlugin(dir);
    await answer(dir, { token: "beta" }, V1BETA1);
    const provider = execCredentials({ apiVersion: V1BETA1, command });
    deepEqual(await provider.get(), { token: "beta" });
    deepEqual(await readExecInfo(dir), expectedExecInfo(undefined, V1BETA1));
  });
});

Deno.test("execCredentials() kills a plugin that outlives the timeout", async () => {
  await withTempDir(async (dir) => {
    const command = await writeScript(join(dir, "plugin"), `echo "waiting" >&2\nexec sleep 30`);
    await rejects(execCredentials({ apiVersion: V1, command }, { timeout: 200 }).get(), {
      message:
        `Cannot get credentials from exec plugin "${command}": no answer within 200 ms (stderr: waiting)`,
    });
  });
});

Deno.test("execCredentials() times out even when the plugin ignores SIGTERM and a child keeps its pipes", async () => {
  await withTempDir(async (dir) => {
    // The background sleep inherits stdout and stderr, which it would hold for ~1 s if it lived.
    const command = await writeScript(join(dir, "plugin"), `trap '' TERM\nsleep 1 &\nwait`);
    await rejects(execCredentials({ apiVersion: V1, command }, { timeout: 200 }).get(), {
      message:
        `Cannot get credentials from exec plugin "${command}": no answer within 200 ms (stderr: empty)`,
    });
  });
});

Deno.test("execCredentials() kills the plugin's whole process group when it outlives the timeout", async () => {
  await withTempDir(async (dir) => {
    await using plugin = await writeHangingPlugin(dir);
    const provider = execCredentials({ apiVersion: V1, command: plugin.command }, {
      timeout: 300,
    });
    await rejects(provider.get(), {
      message:
        `Cannot get credentials from exec plugin "${plugin.command}": no answer within 300 ms (stderr: empty)`,
    });
    await untilGone(await plugin.started());
  });
});

Deno.test("execCredentials() kills the run in flight when its signal aborts, and starts no other", async () => {
  await withTempDir(async (dir) => {
    await using plugin = await writeHangingPlugin(dir);
    const lifetime = new AbortController();
    const provider = execCredentials({ apiVersion: V1, command: plugin.command }, {
      signal: lifetime.signal,
    });
    const getting = provider.get();
    const pids = await plugin.started();
    lifetime.abort(new Error("shutting down"));
    await rejects(getting, { message: "shutting down" });
    await untilGone(pids);
    await rejects(provider.get(), { message: "shutting down" });
    provider.invalidate();
    await rejects(provider.get(), { message: "shutting down" });
    deepEqual(await plugin.pids(), pids, "no run after the abort");
  });
});

Deno.test("execCredentials() names a command that is not found, with its install hint", async () => {
  const plugin: ExecPlugin = {
    apiVersion: V1,
    command: "service-reflector-no-such-plugin",
    installHint: "Install it with: brew install no-such-plugin\n",
  };
  await rejects(execCredentials(plugin).get(), (error) => {
    equal(
      (error as Error).message,
      `Cannot get credentials from exec plugin "service-reflector-no-such-plugin": command not found (Install it with: brew install no-such-plugin)`,
    );
    equal((error as Error).cause instanceof Deno.errors.NotFound, true);
    return true;
  });
});

Deno.test("execCredentials() refuses interactive plugins and bad options up front", () => {
  throws(() => execCredentials({ apiVersion: V1, command: "p", interactiveMode: "Always" }), {
    name: "TypeError",
    message:
      `Cannot run exec plugin "p" as 'interactiveMode' must be Never or IfAvailable, because it never gets a terminal: current value is "Always"`,
  });
  throws(
    () =>
      execCredentials({
        apiVersion: "client.authentication.k8s.io/v1alpha1" as typeof V1,
        command: "p",
      }),
    {
      name: "TypeError",
      message:
        `Cannot run exec plugin "p" as 'apiVersion' must be one of ${V1}, ${V1BETA1}: current value is "client.authentication.k8s.io/v1alpha1"`,
    },
  );
  throws(() => execCredentials({ apiVersion: V1, command: "p" }, { timeout: 0 }), {
    name: "RangeError",
    message:
      `Cannot run exec plugin "p" as 'timeout' must be a positive number: current value is 0`,
  });
});
