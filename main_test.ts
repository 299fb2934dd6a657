/**
 * service-reflector as users run it: `main.ts` in its own process, with
 * flags only, between two real clusters.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import type { Lease } from "kubernetes-types/coordination/v1.d.ts";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import { withClusters } from "./tests/cluster/mod.ts";
import { freePorts } from "./tests/cluster/ports.ts";
import { type AdminAccount, adminAccount } from "./tests/support/admin_account.ts";
import {
  compiledRunFlags,
  leaderIndex,
  startBetween,
  startCommand,
} from "./tests/support/command.ts";
import { poll } from "./tests/support/poll.ts";
import { describeWrite, markServerWrites } from "./tests/support/server_writes.ts";
import { untilGone, writeHangingPlugin } from "./tests/support/hanging_plugin.ts";
import { execV1, kubeconfig, withTempDir, writeYaml } from "./tests/support/kubeconfig_fixtures.ts";

const main = new URL("main.ts", import.meta.url).pathname;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(...args: string[]): Promise<Ran> {
  return runWith(["--allow-all"], ...args);
}

async function runWith(permissions: string[], ...args: string[]): Promise<Ran> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, main, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

Deno.test("service-reflector --version and --help print and exit 0", async () => {
  const version = await run("--version");
  equal(version.code, 0);
  ok(/^\d+\.\d+\.\d+/.test(version.stdout), version.stdout);
  const help = await run("--help");
  equal(help.code, 0);
  for (
    const flag of [
      "--kubeconfig",
      "--listen",
      "--reflector.source-api",
      "--emitter.selector",
      "--reflector.source-max-objects",
    ]
  ) {
    ok(help.stdout.includes(flag), flag);
  }
});

Deno.test("service-reflector refuses bad flags and configuration with exit 2 and one line", async () => {
  for (
    const [args, message] of [
      [["--emitter=false", "--reflector=false"], "--emitter=false and --reflector=false"],
      [["--emitter.insecure-port=70000"], "--emitter.insecure-port"],
      [["--reflector.selector=a in (b"], "--reflector.selector"],
      [["--reflector.source-max-list-bytes=1TB"], "--reflector.source-max-list-bytes"],
      [
        ["--kubeconfig=/does/not/exist"],
        'service-reflector: --kubeconfig: Cannot load kubeconfig "/does/not/exist"',
      ],
    ] as const
  ) {
    const result = await run(...args);
    equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    ok(result.stderr.includes(message), result.stderr);
  }
});

Deno.test("service-reflector with --listen on an address in use exits 2 with one line", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dir = await Deno.makeTempDir();
  try {
    // Loading a kubeconfig reaches no server; nothing needs to answer at this one.
    const kubeconfig = `${dir}/kubeconfig`;
    await Deno.writeTextFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "c", cluster: { server: `http://127.0.0.1:${freePorts(1)[0]}` } }],
        contexts: [{ name: "c", context: { cluster: "c" } }],
        "current-context": "c",
      }),
    );
    const listen = `127.0.0.1:${taken.addr.port}`;
    const result = await run(`--kubeconfig=${kubeconfig}`, "--emitter=false", `--listen=${listen}`);
    equal(result.code, 2, result.stderr);
    const lines = result.stderr.trim().split("\n");
    const last = lines.at(-1) ?? "";
    equal(
      last,
      `service-reflector: --listen: Cannot listen on ${listen} as port ${taken.addr.port} is already in use`,
    );
    ok(lines.every((line) => line === last || line.startsWith("{")), "only JSON logs before it");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Writes `name` in `dir`, a kubeconfig of a cluster nobody serves (nothing is
 * sent before its credentials, which never come), its user authenticated by
 * `plugin`, or anonymous without one.
 */
function writeKubeconfig(dir: string, name: string, plugin?: string): Promise<string> {
  const exec = { apiVersion: execV1, command: plugin, interactiveMode: "Never" };
  return writeYaml(
    join(dir, name),
    kubeconfig({
      name,
      cluster: { server: `http://127.0.0.1:${freePorts(1)[0]}` },
      ...(plugin ? { user: { exec } } : {}),
    }),
  );
}

Deno.test("service-reflector, with the compile task's permissions, refuses a kubeconfig with an exec plugin: exit 2 with one line", async () => {
  await withTempDir(async (dir) => {
    await using plugin = await writeHangingPlugin(dir);
    const exec = await writeKubeconfig(dir, "exec", plugin.command);
    const plain = await writeKubeconfig(dir, "plain");
    const needs =
      `user "exec" of context "exec" runs exec plugin "${plugin.command}", which needs ` +
      `permission --allow-run (unscoped, to end its process group): run with --allow-run, or ` +
      `build with deno task compile:exec`;
    const permissions = await compiledRunFlags();
    for (
      const [flag, args] of [
        ["--kubeconfig", [`--kubeconfig=${exec}`, "--reflector=false"]],
        [
          "--reflector.source-kubeconfig",
          [`--kubeconfig=${plain}`, "--emitter=false", `--reflector.source-kubeconfig=${exec}`],
        ],
      ] as const
    ) {
      const result = await runWith(permissions, ...args);
      equal(result.code, 2, result.stderr);
      equal(
        result.stderr,
        `service-reflector: ${flag}: Cannot load kubeconfig "${exec}": ${needs}\n`,
      );
    }
    equal((await plugin.pids()).length, 0, "the plugin never ran");
  });
});

Deno.test("service-reflector, with the compile:exec task's permissions, kills a hanging exec plugin and its children on SIGTERM", async () => {
  await withTempDir(async (dir) => {
    await using plugin = await writeHangingPlugin(dir);
    const [emitterPort] = freePorts(1) as [number];
    await using command = await startCommand([
      `--kubeconfig=${await writeKubeconfig(dir, "exec", plugin.command)}`,
      "--reflector=false",
      "--emitter.bind-address=127.0.0.1",
      `--emitter.insecure-port=${emitterPort}`,
      "--emitter.secure-port=0",
    ], { task: "compile:exec" });
    // The Emitter's first list waits for credentials from the plugin, which never answers.
    await plugin.started();
    await poll(() => command.logs().includes(`"msg":"started"`) || undefined, {
      description: "the command past start-up",
    });
    equal((await command.stop("SIGTERM")).code, 0, command.logs());
    await untilGone(await plugin.pids());
  });
});

Deno.test("service-reflector, with only the compiled binary's permissions, mirrors between two clusters, serves metrics and health, and stops on SIGTERM", async () => {
  await withClusters(["cli-source", "cli-host"], async ([source, host]) => {
    if (!source || !host) throw new Error("clusters missing");
    await source.kubectl("create", "namespace", "shop");
    await source.kubectl("create", "service", "clusterip", "web", "-n", "shop", "--tcp=80:8080");
    await source.kubectl("label", "service", "web", "-n", "shop", "export=yes");
    const permissions = await compiledRunFlags();
    ok(
      permissions.includes("--allow-net") && !permissions.includes("--allow-all"),
      permissions.join(" "),
    );
    await using command = await startBetween({
      host,
      source,
      sourceName: "east",
      args: ["--log-level=debug"],
    });
    const { emitterPort } = command;
    await command.ready();
    const mirror = await poll(async () => {
      const json = await host.kubectl("get", "service", "web", "-n", "shop", "-o", "json").catch(
        () => "",
      );
      return json ? JSON.parse(json) as Service : undefined;
    }, { description: "the mirror in the host" });
    equal(mirror.metadata?.labels?.["service-reflector.squat.ai/source"], "east");
    ok((await command.metric("service_reflector_reconcile_attempts_total") ?? 0) >= 1);
    const metrics = await (await fetch(`http://127.0.0.1:${command.listen}/metrics`)).text();
    ok(
      metrics.includes("service_reflector_emitter_requests_total"),
      "the Emitter's metrics are there too",
    );
    const verbose = await (await fetch(`http://127.0.0.1:${command.listen}/readyz?verbose`))
      .text();
    match(
      verbose,
      /^\[\+\]emitter ok\n\[\+\]reflector ok\n\[i\]source east: up, last contact \d+s ago, synced, https:\/\/127\.0\.0\.1:\d+\/\nreadyz check passed\n$/,
    );
    const emitted = await (await fetch(`http://127.0.0.1:${emitterPort}/api/v1/services`)).json();
    ok(Array.isArray(emitted.items), "the Emitter serves the host's Services");

    const stopping = performance.now();
    const status = await command.stop("SIGTERM");
    const stopMs = performance.now() - stopping;
    equal(status.code, 0, command.logs());
    ok(stopMs < 15_000, `stopped in ${stopMs.toFixed(0)} ms`);
    const lines = command.logs().trim().split("\n").map((line) =>
      JSON.parse(line) as { msg: string }
    );
    ok(lines.some((line) => line.msg === "stopped"), "the last words are logged as JSON");
    // Nothing is left behind: no process answers on its ports any more.
    for (const port of [command.listen, emitterPort]) {
      const answer = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        async (response) => {
          await response.body?.cancel();
          return response.status;
        },
        () => "refused",
      );
      equal(answer, "refused", `port ${port} after exit`);
    }
  });
});

Deno.test("service-reflector stays ready while a source cluster is unreachable", async () => {
  await withClusters(["down-host"], async ([host]) => {
    if (!host) throw new Error("cluster missing");
    // Nothing listens on this port: the source never syncs.
    const [deadPort] = freePorts(1) as [number];
    await using command = await startCommand([
      `--kubeconfig=${host.kubeconfig}`,
      "--emitter=false",
      `--reflector.source-api=http://127.0.0.1:${deadPort}`,
    ]);
    await command.ready();
    const verbose = await (await fetch(`http://127.0.0.1:${command.listen}/readyz?verbose`))
      .text();
    equal(
      verbose,
      "[+]reflector ok\n" +
        `[i]source 127-0-0-1: down (never reached), not synced, http://127.0.0.1:${deadPort}/\n` +
        "readyz check passed\n",
    );
    equal(await command.metric("service_reflector_source_synced"), 0, "the source is not synced");
    equal(await command.metric("service_reflector_source_up"), 0, "the source is down");
    equal(await command.metric("service_reflector_leader"), undefined, "no leader election");
    equal((await command.stop()).code, 0, command.logs());
  });
});

Deno.test("two replicas with --leader-elect: one Reflector writes, the other takes over when it stops", async () => {
  await withClusters(["le-source", "le-host"], async ([source, host]) => {
    if (!source || !host) throw new Error("clusters missing");
    await source.kubectl("create", "namespace", "shop");
    await source.kubectl("create", "service", "clusterip", "web", "-n", "shop", "--tcp=80:8080");
    await source.kubectl("label", "service", "web", "-n", "shop", "export=yes");
    // Each replica is an admin of its own, so that the host's audit log tells their writes apart.
    const accounts = [
      await adminAccount(host, "replica-1"),
      await adminAccount(host, "replica-2"),
    ] as const;
    const replica = (account: AdminAccount) =>
      startBetween({
        host,
        source,
        hostKubeconfig: account.kubeconfig,
        args: [
          "--leader-elect",
          // A lease far longer than the takeover allowed below: only a release explains it.
          "--leader-elect-lease-duration=30s",
          "--leader-elect-renew-deadline=3s",
          "--leader-elect-retry-period=500ms",
          "--leader-elect-resource-namespace=default",
        ],
      });
    const mirrored = (name: string) =>
      poll(
        () =>
          host.kubectl("get", "service", name, "-n", "shop", "-o", "name").catch(() => undefined),
        { description: `the mirror of shop/${name}` },
      );
    const readLease = async () =>
      (JSON.parse(
        await host.kubectl("get", "lease", "service-reflector", "-n", "default", "-o", "json"),
      ) as Lease).spec ?? {};
    const started = await markServerWrites(host);
    await using first = await replica(accounts[0]);
    await using second = await replica(accounts[1]);
    const replicas = [first, second];
    // Leader or standby, each replica's Emitter serves, so each is ready.
    for (const each of replicas) await each.ready();
    const leading = await leaderIndex(replicas);
    const leader = replicas[leading] as typeof first;
    const standby = replicas[1 - leading] as typeof first;
    await mirrored("web");
    const lease = await readLease();
    ok(lease.holderIdentity, "the Lease names its holder");
    // Counted at the host's apiserver, by user: everything but the election's Lease.
    const writtenBy = async (account: AdminAccount) =>
      (await started.writes({ username: account.username, exceptResources: ["leases"] }))
        .map(describeWrite);
    const leaderWrites = await writtenBy(accounts[leading] as AdminAccount);
    ok(leaderWrites.length >= 2, `the leader wrote: ${leaderWrites.join("; ")}`);
    deepStrictEqual(
      await writtenBy(accounts[1 - leading] as AdminAccount),
      [],
      "the standby wrote nothing",
    );
    equal(await standby.metric("service_reflector_leader"), 0, "the standby says so");

    // A clean stop releases the Lease: the standby takes over without waiting for it to expire.
    equal((await leader.stop("SIGTERM")).code, 0, leader.logs());
    const releasedAt = performance.now();
    await poll(async () => (await standby.metric("service_reflector_leader")) === 1 || undefined, {
      description: "the standby leading",
      timeoutMs: 15_000,
    });
    const takeoverMs = performance.now() - releasedAt;
    await source.kubectl("create", "service", "clusterip", "api", "-n", "shop", "--tcp=81:8081");
    await source.kubectl("label", "service", "api", "-n", "shop", "export=yes");
    await mirrored("api");
    const after = await readLease();
    ok(after.holderIdentity && after.holderIdentity !== lease.holderIdentity);
    equal(after.leaseTransitions, (lease.leaseTransitions ?? 0) + 1);
    ok(takeoverMs < 15_000, `taken over in ${takeoverMs.toFixed(0)} ms, long before expiry`);
  });
});
