import { deepEqual, equal, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import type { Lease } from "kubernetes-types/coordination/v1.d.ts";
import { withClusters } from "../../tests/cluster/mod.ts";
import {
  envOf,
  generatePki,
  kubeconfig,
  twoContextKubeconfig,
  withTempDir,
  writeYaml,
} from "../../tests/support/kubeconfig_fixtures.ts";
import { makeFifo } from "../../tests/support/fifo.ts";
import { InClusterConfigError } from "../kube/config/in_cluster.ts";
import { KubeconfigError } from "../kube/config/kubeconfig_error.ts";
import { namespaces } from "../kube/resource.ts";
import { createLogger } from "../log/logger.ts";
import { parsedConfig as config } from "./_cli_fixtures.ts";
import { loadSetup, type Setup } from "./_load_setup.ts";
import { StartupError } from "./_startup_error.ts";

const logger = createLogger({ level: "none" });

function close(setup: Setup): void {
  for (const client of setup.started.clients ?? []) client.close();
}

/** A Pod's view of `server`: its `KUBERNETES_SERVICE_*` variables and ServiceAccount files. */
async function writePod(
  dir: string,
  pod: { server: string; ca: string; token: string; namespace: string },
): Promise<{ env: (name: string) => string | undefined; serviceAccountDir: string }> {
  const url = new URL(pod.server);
  await Deno.writeTextFile(join(dir, "ca.crt"), pod.ca);
  await Deno.writeTextFile(join(dir, "token"), pod.token);
  await Deno.writeTextFile(join(dir, "namespace"), pod.namespace);
  const env = envOf({ KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port });
  return { env, serviceAccountDir: dir };
}

/** A Pod in `namespace` of a cluster nothing serves (`https://10.96.0.1:6443`), with a fresh CA. */
async function writeOfflinePod(
  dir: string,
  namespace: string,
): ReturnType<typeof writePod> {
  const pki = await generatePki(join(dir, "pki"));
  return await writePod(dir, {
    server: "https://10.96.0.1:6443",
    ca: pki.ca,
    token: "t",
    namespace,
  });
}

Deno.test("loadSetup() fails naming the flag of the first file it cannot read, in start-up order", async () => {
  await withTempDir(async (dir) => {
    const own = await writeYaml(join(dir, "own.yaml"), kubeconfig({}));
    const missing = join(dir, "missing");
    const cases: [argv: string[], flag: string][] = [
      [[`--kubeconfig=${missing}`, `--emitter.token-file=${missing}`], "--kubeconfig"],
      [
        [`--emitter.token-file=${missing}`, `--emitter.client-ca=${missing}`],
        "--emitter.token-file",
      ],
      [[
        `--emitter.tls-cert-file=${missing}`,
        `--emitter.tls-private-key-file=${missing}`,
      ], "--emitter.tls-cert-file"],
      [[
        `--emitter.tls-cert-file=${own}`,
        `--emitter.tls-private-key-file=${missing}`,
      ], "--emitter.tls-private-key-file"],
      [[
        `--emitter.client-ca=${missing}`,
        `--reflector.source-kubeconfig=${missing}`,
      ], "--emitter.client-ca"],
      [[`--reflector.source-kubeconfig=${missing}`], "--reflector.source-kubeconfig"],
    ];
    for (const [argv, flag] of cases) {
      await rejects(loadSetup(config([`--kubeconfig=${own}`, ...argv]), { logger }), (error) => {
        ok(error instanceof StartupError, String(error));
        equal(error.flag, flag);
        ok(error.message.startsWith(`${flag}: `) && error.message.includes(missing), error.message);
        ok(error.cause instanceof Error);
        return true;
      }, argv.join(" "));
    }
    await rejects(loadSetup(config([`--kubeconfig=${missing}`]), { logger }), (error) => {
      ok(error instanceof StartupError);
      equal(error.message, `--kubeconfig: Cannot load kubeconfig "${missing}": file not found`);
      ok(error.cause instanceof KubeconfigError && error.cause.reason === "not-found");
      return true;
    });
  });
});

Deno.test("loadSetup() blames --kubeconfig for an in-cluster config that does not load, keeping the typed cause", async () => {
  await withTempDir(async (dir) => {
    const pod = await writeOfflinePod(dir, "reflector");
    const token = join(dir, "token");
    await Deno.remove(token);
    const parsed = config([], pod.env);
    equal(parsed.inCluster, true);
    await rejects(loadSetup(parsed, { logger, inCluster: pod }), (error) => {
      ok(error instanceof StartupError, String(error));
      equal(
        error.message,
        `--kubeconfig: Cannot load in-cluster config as file "${token}" does not exist`,
      );
      ok(error.cause instanceof InClusterConfigError && error.cause.reason === "not-found");
      return true;
    });
  });
});

Deno.test("loadSetup() blames --reflector.sources-file for a FIFO or a character device, unopened", async () => {
  await withTempDir(async (dir) => {
    const own = await writeYaml(join(dir, "own.yaml"), kubeconfig({}));
    const fifo = join(dir, "fifo.yaml");
    await makeFifo(fifo);
    // Opening the FIFO would wait for a writer, and start-up with it.
    for (const [path, kind] of [[fifo, "a FIFO"], ["/dev/zero", "a character device"]]) {
      await rejects(
        loadSetup(config([`--kubeconfig=${own}`, `--reflector.sources-file=${path}`]), { logger }),
        (error) => {
          ok(error instanceof StartupError, String(error));
          equal(
            error.message,
            `--reflector.sources-file: Cannot use sources file ${path}: it is ${kind}, not a regular file`,
          );
          return true;
        },
      );
    }
  });
});

Deno.test("loadSetup() reads only the files of the components that run", async () => {
  await withTempDir(async (dir) => {
    const own = await writeYaml(join(dir, "own.yaml"), kubeconfig({}));
    const missing = join(dir, "missing");
    const emitterOnly = await loadSetup(
      config([
        `--kubeconfig=${own}`,
        "--reflector=false",
        `--reflector.source-kubeconfig=${missing}`,
      ]),
      { logger },
    );
    close(emitterOnly);
    deepEqual([emitterOnly.emitter !== undefined, emitterOnly.reflector], [true, undefined]);
    equal(emitterOnly.started.clients?.length, 1);
    const reflectorOnly = await loadSetup(
      config([`--kubeconfig=${own}`, "--emitter=false", `--emitter.token-file=${missing}`]),
      { logger },
    );
    close(reflectorOnly);
    deepEqual([reflectorOnly.emitter, reflectorOnly.reflector?.sources], [undefined, []]);
    equal(reflectorOnly.reflector?.election, undefined, "no --leader-elect, no elector");
    equal(reflectorOnly.started.clients?.length, 1);
  });
});

Deno.test("loadSetup() refuses a Pod namespace no Lease can live in", async () => {
  await withTempDir(async (dir) => {
    const pod = await writeOfflinePod(dir, "Not_A_Namespace");
    const parsed = config(["--leader-elect"], pod.env);
    equal(parsed.inCluster, true);
    await rejects(loadSetup(parsed, { logger, inCluster: pod }), (error) => {
      ok(error instanceof StartupError, String(error));
      equal(error.flag, "--leader-elect-resource-namespace");
      ok(error.message.includes("Not_A_Namespace"), error.message);
      return true;
    });
  });
});

Deno.test("loadSetup() reads a source kubeconfig through the context named after its #", async () => {
  await withTempDir(async (dir) => {
    const host = await writeYaml(join(dir, "host.yaml"), kubeconfig({}));
    const clusters = await writeYaml(join(dir, "clusters.yaml"), twoContextKubeconfig());
    const setup = await loadSetup(
      config([
        `--kubeconfig=${host}`,
        "--emitter=false",
        `--reflector.source-kubeconfig=east=${clusters}#second`,
        `--reflector.source-kubeconfig=${clusters}`,
      ]),
      { logger },
    );
    try {
      const sources = setup.reflector?.sources ?? [];
      deepEqual(sources.map((source) => [source.name, source.config.server.href]), [
        ["east", "https://10.0.0.2:6443/"],
        ["clusters", "https://10.0.0.1:6443/"],
      ]);
    } finally {
      close(setup);
    }
  });
});

Deno.test("loadSetup() makes clients that reach this cluster and every source, and a candidate for a Lease in the Pod's namespace", async () => {
  await withClusters(["setup"], async ([cluster]) => {
    if (!cluster) throw new Error("cluster missing");
    await cluster.kubectl("create", "namespace", "team-a");
    await withTempDir(async (dir) => {
      const pod = await writePod(dir, { ...cluster, namespace: "team-a" });
      const parsed = config([
        "--leader-elect",
        "--leader-elect-lease-duration=3s",
        "--leader-elect-renew-deadline=2s",
        "--leader-elect-retry-period=200ms",
        "--reflector.source-api=http://127.0.0.1:1",
        `--reflector.source-kubeconfig=east=${cluster.kubeconfig}`,
      ], pod.env);
      const setup = await loadSetup(parsed, { logger, inCluster: pod });
      try {
        const { emitter, reflector } = setup;
        if (!emitter || !reflector?.election) throw new Error("a component's part is missing");
        equal((await emitter.rest.get(namespaces, "team-a")).metadata?.name, "team-a");
        equal((await reflector.host.get(namespaces, "team-a")).metadata?.name, "team-a");
        deepEqual(reflector.sources.map((source) => source.name), ["127-0-0-1", "east"]);
        const [url, east] = reflector.sources;
        const [given] = parsed.reflector.sources;
        strictEqual(url?.config, given && "config" in given ? given.config : "", "made once");
        ok(
          east?.config.origin.startsWith(`kubeconfig ${cluster.kubeconfig} `),
          east?.config.origin,
        );

        const stop = new AbortController();
        const { elector } = reflector.election;
        const campaign = elector.run(stop.signal, {
          onStartedLeading: (leading) =>
            new Promise<void>((resolve) => {
              leading.addEventListener("abort", () => resolve());
              stop.abort();
            }),
        });
        await campaign;
        const lease = JSON.parse(
          await cluster.kubectl("get", "lease", "service-reflector", "-n", "team-a", "-o", "json"),
        ) as Lease;
        equal(lease.metadata?.namespace, "team-a", "the Lease lives in the Pod's namespace");
      } finally {
        close(setup);
      }
    });
  });
});
