/**
 * service-reflector as users run it: `main.ts` in its own process, with
 * flags only, between two real clusters.
 */
import { equal, ok } from "node:assert/strict";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import { withClusters } from "./tests/cluster/mod.ts";
import { freePorts } from "./tests/cluster/ports.ts";
import { poll } from "./tests/support/poll.ts";

const main = new URL("main.ts", import.meta.url).pathname;

/**
 * The permissions `deno task compile` bakes into the binary, read from
 * deno.json, so the process test proves that exactly these are enough.
 */
async function compiledPermissions(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", import.meta.url))) as {
    tasks: Record<string, string>;
  };
  const task = config.tasks["compile"] ?? "";
  return task.split(/\s+/).filter((word) => word.startsWith("--allow-") || word === "--no-prompt");
}

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", main, ...args],
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
  for (const flag of ["--kubeconfig", "--listen", "--reflector.source-api", "--emitter.selector"]) {
    ok(help.stdout.includes(flag), flag);
  }
});

Deno.test("service-reflector refuses bad flags and configuration with exit 2 and one line", async () => {
  for (
    const [args, message] of [
      [["--emitter=false", "--reflector=false"], "--emitter=false and --reflector=false"],
      [["--emitter.insecure-port=70000"], "--emitter.insecure-port"],
      [["--reflector.selector=a in (b"], "--reflector.selector"],
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

Deno.test("service-reflector, with only the compiled binary's permissions, mirrors between two clusters, serves metrics and health, and stops on SIGTERM", async () => {
  await withClusters(["cli-source", "cli-host"], async ([source, host]) => {
    if (!source || !host) throw new Error("clusters missing");
    await source.kubectl("create", "namespace", "shop");
    await source.kubectl("create", "service", "clusterip", "web", "-n", "shop", "--tcp=80:8080");
    await source.kubectl("label", "service", "web", "-n", "shop", "export=yes");
    const [listen, emitterPort] = freePorts(2) as [number, number];
    const permissions = await compiledPermissions();
    ok(
      permissions.includes("--allow-net") && !permissions.includes("--allow-all"),
      permissions.join(" "),
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...permissions,
        main,
        `--kubeconfig=${host.kubeconfig}`,
        `--listen=127.0.0.1:${listen}`,
        "--emitter.bind-address=127.0.0.1",
        `--emitter.insecure-port=${emitterPort}`,
        "--emitter.secure-port=0",
        `--reflector.source-kubeconfig=east=${source.kubeconfig}`,
        "--reflector.selector=export=yes",
        "--log-level=debug",
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const logs: string[] = [];
    const reading = (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) logs.push(chunk);
    })();
    try {
      const started = performance.now();
      await poll(async () => {
        const response = await fetch(`http://127.0.0.1:${listen}/readyz`).catch(() => undefined);
        await response?.body?.cancel();
        return response?.ok || undefined;
      }, { description: "/readyz to answer 200", timeoutMs: 60_000 });
      const readyMs = performance.now() - started;
      const mirror = await poll(async () => {
        const json = await host.kubectl("get", "service", "web", "-n", "shop", "-o", "json").catch(
          () => "",
        );
        return json ? JSON.parse(json) as Service : undefined;
      }, { description: "the mirror in the host" });
      equal(mirror.metadata?.labels?.["service-reflector.squat.ai/source"], "east");
      const metrics = await (await fetch(`http://127.0.0.1:${listen}/metrics`)).text();
      ok(/service_reflector_reconcile_attempts_total [1-9]/.test(metrics), metrics.slice(0, 500));
      ok(
        metrics.includes("service_reflector_emitter_requests_total"),
        "the Emitter's metrics are there too",
      );
      const emitted = await (await fetch(`http://127.0.0.1:${emitterPort}/api/v1/services`)).json();
      ok(Array.isArray(emitted.items), "the Emitter serves the host's Services");
      ok(readyMs > 0);

      const stopping = performance.now();
      child.kill("SIGTERM");
      const status = await child.status;
      const stopMs = performance.now() - stopping;
      equal(status.code, 0, logs.join(""));
      ok(stopMs < 15_000, `stopped in ${stopMs.toFixed(0)} ms`);
      const lines = logs.join("").trim().split("\n").map((line) =>
        JSON.parse(line) as { msg: string }
      );
      ok(lines.some((line) => line.msg === "stopped"), "the last words are logged as JSON");
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await child.status;
      await reading;
      await child.stdout.cancel();
    }
  });
});

/** A `main.ts` process with the compiled binary's permissions, its logs collected. */
interface Replica {
  child: Deno.ChildProcess;
  listen: number;
  logs: string[];
  /** Stops the process (SIGKILL if still running) and waits for it. */
  close(): Promise<void>;
}

async function startReplica(args: string[]): Promise<Replica> {
  const [listen, emitterPort] = freePorts(2) as [number, number];
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...await compiledPermissions(),
      main,
      `--listen=127.0.0.1:${listen}`,
      "--emitter.bind-address=127.0.0.1",
      `--emitter.insecure-port=${emitterPort}`,
      "--emitter.secure-port=0",
      ...args,
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const logs: string[] = [];
  const reading = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) logs.push(chunk);
  })();
  return {
    child,
    listen,
    logs,
    async close() {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await child.status;
      await reading;
    },
  };
}

/** The value of an unlabelled metric of `replica`, or undefined while it does not answer. */
async function metric(replica: Replica, name: string): Promise<number | undefined> {
  const response = await fetch(`http://127.0.0.1:${replica.listen}/metrics`).catch(() => undefined);
  if (!response) return undefined;
  const line = (await response.text()).split("\n").find((entry) => entry.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
}

/** Sum of every series of `name` (0 when none has been written yet). */
async function metricSum(replica: Replica, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${replica.listen}/metrics`)).text();
  return text.split("\n").filter((line) =>
    line.startsWith(`${name}{`) || line.startsWith(`${name} `)
  )
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

Deno.test("two replicas with --leader-elect: one Reflector writes, the other takes over when it stops", async () => {
  await withClusters(["le-source", "le-host"], async ([source, host]) => {
    if (!source || !host) throw new Error("clusters missing");
    await source.kubectl("create", "namespace", "shop");
    await source.kubectl("create", "service", "clusterip", "web", "-n", "shop", "--tcp=80:8080");
    await source.kubectl("label", "service", "web", "-n", "shop", "export=yes");
    const args = [
      `--kubeconfig=${host.kubeconfig}`,
      `--reflector.source-kubeconfig=east=${source.kubeconfig}`,
      "--reflector.selector=export=yes",
      "--leader-elect",
      "--leader-elect-lease-duration=4s",
      "--leader-elect-renew-deadline=3s",
      "--leader-elect-retry-period=500ms",
      "--leader-elect-resource-namespace=default",
    ];
    const replicas = [await startReplica(args), await startReplica(args)];
    try {
      for (const replica of replicas) {
        await poll(async () => {
          const response = await fetch(`http://127.0.0.1:${replica.listen}/readyz`).catch(() =>
            undefined
          );
          await response?.body?.cancel();
          return response?.ok || undefined;
        }, { description: "/readyz of each replica, leader or standby", timeoutMs: 60_000 });
      }
      const leading = await poll(async () => {
        const flags = await Promise.all(
          replicas.map((replica) => metric(replica, "service_reflector_leader")),
        );
        return flags.includes(undefined) || flags.filter((flag) => flag === 1).length !== 1
          ? undefined
          : flags.indexOf(1);
      }, { description: "exactly one replica leading" });
      const leader = replicas[leading] as Replica;
      const standby = replicas[1 - leading] as Replica;
      await poll(
        () =>
          host.kubectl("get", "service", "web", "-n", "shop", "-o", "name").catch(() => undefined),
        { description: "the mirror of shop/web" },
      );
      const lease = JSON.parse(
        await host.kubectl("get", "lease", "service-reflector", "-n", "default", "-o", "json"),
      ) as { spec?: { holderIdentity?: string; leaseTransitions?: number } };
      ok(lease.spec?.holderIdentity, "the Lease names its holder");
      ok(await metricSum(leader, "service_reflector_writes_total") >= 2, "the leader wrote");
      equal(
        await metricSum(standby, "service_reflector_writes_total"),
        0,
        "the standby wrote nothing",
      );

      // A clean stop releases the Lease: the standby takes over without waiting for it to expire.
      leader.child.kill("SIGTERM");
      equal((await leader.child.status).code, 0, leader.logs.join(""));
      const releasedAt = performance.now();
      await poll(
        async () => (await metric(standby, "service_reflector_leader")) === 1 || undefined,
        {
          description: "the standby leading",
          timeoutMs: 10_000,
        },
      );
      const takeoverMs = performance.now() - releasedAt;
      await source.kubectl("create", "service", "clusterip", "api", "-n", "shop", "--tcp=81:8081");
      await source.kubectl("label", "service", "api", "-n", "shop", "export=yes");
      await poll(
        () =>
          host.kubectl("get", "service", "api", "-n", "shop", "-o", "name").catch(() => undefined),
        { description: "the new leader mirroring shop/api" },
      );
      const after = JSON.parse(
        await host.kubectl("get", "lease", "service-reflector", "-n", "default", "-o", "json"),
      ) as { spec?: { holderIdentity?: string; leaseTransitions?: number } };
      ok(after.spec?.holderIdentity && after.spec.holderIdentity !== lease.spec?.holderIdentity);
      equal(after.spec?.leaseTransitions, (lease.spec?.leaseTransitions ?? 0) + 1);
      ok(takeoverMs < 4_000, `taken over in ${takeoverMs.toFixed(0)} ms, before the lease expired`);
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
    }
  });
});
