/**
 * The live demo: two real local clusters, "east" and "west", and the
 * service-reflector command (`main.ts`, with the compiled binary's
 * permissions) twice, as users would deploy it: in east with only the
 * Emitter, serving east's exported Services; in west with only the
 * Reflector, mirroring them by that Emitter's URL alone. A demo Service
 * with Ready Pods is created in east, its mirror and EndpointSlice appear
 * in west, then the Pods are scaled and the slice follows. West has a data
 * plane (CoreDNS and kube-proxy, `tests/cluster/data_plane.ts`) and east's
 * Pods answer HTTP on their IPs, so the demo resolves the mirror's name
 * in west and requests it, before and after the scale-up, printing which
 * east Pods answered. Everything runs in a private network namespace
 * (`deno task dev` starts it so) and stays up until Ctrl-C (SIGINT) or
 * SIGTERM; then both commands get SIGTERM, and every process and file is
 * removed.
 *
 * `--check` runs the same steps without waiting for Ctrl-C and exits 0 only
 * if every step was seen and both commands stopped cleanly (the test suite
 * runs it so).
 *
 * Run with `deno task dev` or, on a fresh machine, `./scripts/dev.sh`.
 *
 * @module
 */
// deno-lint-ignore-file no-console

import type { Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { type Cluster, startCluster, startPodServer } from "../tests/cluster/mod.ts";
import { clusterBinary } from "../tests/cluster/binary.ts";
import { freePorts } from "../tests/cluster/ports.ts";
import { adminConfig } from "../tests/support/client_configs.ts";
import { type CommandProcess, startCommand } from "../tests/support/command.ts";
import { FreshConnections, resolveIPv4 } from "../tests/support/data_plane_client.ts";
import { poll } from "../tests/support/poll.ts";
import { endpointSlices, services } from "../lib/kube/resource.ts";
import { RestClient } from "../lib/kube/rest.ts";
import { Transport } from "../lib/kube/transport.ts";

const namespace = "demo";
const exportLabel = "service-reflector.squat.ai/export";
const mirrorName = `hello.${namespace}.svc.cluster.local`;
const podPort = 8080;

/** West's view of the demo mirror: its cluster IP, its source's name and its endpoints. */
async function mirrorOf(
  west: RestClient,
): Promise<{ clusterIP: string; source: string; endpoints: string[] } | undefined> {
  const service = await west.get<Service>(services, "hello", { namespace }).catch(() => undefined);
  if (!service) return undefined;
  const slices = await west.list<EndpointSlice>(endpointSlices, {
    namespace,
    labelSelector: "kubernetes.io/service-name=hello",
  });
  const endpoints = slices.items.flatMap((slice) =>
    slice.endpoints.filter((endpoint) => endpoint.conditions?.ready).flatMap((endpoint) =>
      endpoint.addresses
    )
  ).sort();
  const source = service.metadata?.labels?.["service-reflector.squat.ai/source"] ?? "";
  return { clusterIP: service.spec?.clusterIP ?? "", source, endpoints };
}

async function waitForEndpoints(
  west: RestClient,
  count: number,
): Promise<{ source: string; endpoints: string[] }> {
  return await poll(async () => {
    const state = await mirrorOf(west);
    return state && state.endpoints.length === count ? state : undefined;
  }, { description: `the mirror in west to list ${count} ready endpoints`, timeoutMs: 60_000 });
}

/** Serves east's Pods `hello-<from>` to `hello-<to>` on 10.244.1.<index>, until `pods` is disposed. */
async function createPods(
  east: Cluster,
  pods: AsyncDisposableStack,
  from: number,
  to: number,
): Promise<void> {
  for (let index = from; index <= to; index++) {
    pods.use(
      await startPodServer(east, {
        namespace,
        name: `hello-${index}`,
        ips: [`10.244.1.${index}`],
        labels: { app: "hello" },
        port: podPort,
      }),
    );
  }
}

/**
 * Resolves the mirror's name with west's CoreDNS, then requests it (a new
 * connection each time) until every Pod of `expected` answered; prints both.
 */
async function requestFromWest(
  west: Cluster,
  client: FreshConnections,
  expected: string[],
): Promise<void> {
  const nameServer = west.nameServer;
  if (!nameServer) throw new Error("west has no data plane");
  const address = await poll(async () => (await resolveIPv4(nameServer, mirrorName))[0], {
    description: `${mirrorName} to resolve in west`,
  });
  console.log(`In west, ${mirrorName} resolves to ${address} (west's CoreDNS).`);
  const seen = await client.answeredBy(address, 80, expected, { sampleSize: 8, timeoutMs: 60_000 });
  console.log(`From west, http://${mirrorName}/ answered by Pods ${[...seen].sort().join(", ")}.`);
}

/** What east's Pod `hello-<index>` answers. */
const answerOf = (index: number) => `east/${namespace}/hello-${index}`;

async function run(signal: AbortSignal, check: boolean): Promise<void> {
  const binary = await clusterBinary();
  const started = Date.now();
  console.log("Starting clusters east and west...");
  const results = await Promise.allSettled(
    ["east", "west"].map((name) => startCluster({ name, signal, dataPlane: name === "west" })),
  );
  const clusters = results.flatMap((result) => result.status === "fulfilled" ? [result.value] : []);
  const commands: { name: string; process: CommandProcess }[] = [];
  const transports: Transport[] = [];
  const pods = new AsyncDisposableStack();
  using client = new FreshConnections();
  // Whether every step was seen, and whether a command exited with an error.
  let completed = false;
  let unclean = false;
  try {
    for (const result of results) {
      if (result.status === "rejected") throw result.reason;
    }
    const [east, westCluster] = clusters as [Cluster, Cluster];
    console.log(`Clusters ready in ${((Date.now() - started) / 1000).toFixed(1)} s.`);

    const [emitterPort] = freePorts(1) as [number];
    const emitterUrl = `http://127.0.0.1:${emitterPort}`;
    const emitter = await startCommand([
      `--kubeconfig=${east.kubeconfig}`,
      "--reflector=false",
      `--emitter.selector=${exportLabel}=true`,
      "--emitter.bind-address=127.0.0.1",
      `--emitter.insecure-port=${emitterPort}`,
      "--emitter.secure-port=0",
    ], { logFile: `${east.dir}/logs/service-reflector.log` });
    commands.push({ name: "east (Emitter)", process: emitter });
    const reflector = await startCommand([
      `--kubeconfig=${westCluster.kubeconfig}`,
      "--emitter=false",
      `--reflector.source-api=east=${emitterUrl}`,
    ], { logFile: `${westCluster.dir}/logs/service-reflector.log` });
    commands.push({ name: "west (Reflector)", process: reflector });
    await Promise.all([emitter.ready(), reflector.ready()]);
    console.log(`service-reflector in east serves its Emitter on ${emitterUrl};`);
    console.log("service-reflector in west reflects from that URL.");

    const westTransport = new Transport(adminConfig(westCluster));
    transports.push(westTransport);
    const west = new RestClient(westTransport);
    await east.kubectl("create", "namespace", namespace);
    await east.kubectl(
      "create",
      "service",
      "clusterip",
      "hello",
      "-n",
      namespace,
      `--tcp=80:${podPort}`,
    );
    await east.kubectl("label", "service", "hello", "-n", namespace, `${exportLabel}=true`);
    await createPods(east, pods, 1, 2);
    console.log("Created Service demo/hello with 2 Ready Pods in east.");
    const first = await waitForEndpoints(west, 2);
    console.log(`Mirror in west, from source ${first.source}.`);
    console.log(`Mirror in west, endpoints: ${first.endpoints.join(", ")}`);
    await requestFromWest(westCluster, client, [1, 2].map(answerOf));
    await createPods(east, pods, 3, 4);
    console.log("Scaled demo/hello to 4 Pods in east.");
    console.log(
      `Mirror in west, endpoints: ${(await waitForEndpoints(west, 4)).endpoints.join(", ")}`,
    );
    await requestFromWest(westCluster, client, [1, 2, 3, 4].map(answerOf));
    console.log(
      "Demo mirrored, resolved and reached east's Pods from west, and followed a scale-up.\n",
    );
    completed = true;
    if (!check) {
      // Everything listens inside this process's network namespace: a shell
      // reaches it through nsenter.
      const inside = `nsenter --net=/proc/${Deno.pid}/ns/net`;
      console.log(`Everything runs in a private network; from another shell, prefix: ${inside}`);
      for (const cluster of [east, westCluster]) {
        console.log(`${cluster.name}:`);
        console.log(`  kubeconfig  ${cluster.kubeconfig}`);
        console.log(
          `  try         ${inside} ${binary} kubectl --kubeconfig=${cluster.kubeconfig} get svc,endpointslices -n ${namespace}`,
        );
        console.log(`  logs        ${cluster.dir}/logs/ (service-reflector.log is the command's)`);
      }
      console.log(`  DNS         ${westCluster.nameServer?.ipAddr}:53 serves west's cluster.local`);
      console.log(
        `emitter:\n  try         ${inside} ${binary} kubectl --server=${emitterUrl} get svc -A`,
      );
      for (const { name, process } of commands) {
        console.log(`metrics of ${name}: http://127.0.0.1:${process.listen}/metrics`);
      }
      console.log("\nPress Ctrl-C to stop.");
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
    }
  } finally {
    console.log("Stopping...");
    const codes = await Promise.all(commands.map(({ process }) => process.stop("SIGTERM")));
    for (const [index, status] of codes.entries()) {
      const { name, process } = commands[index] as (typeof commands)[number];
      if (status.code !== 0) unclean = true;
      if (status.code !== 0 || !completed) {
        console.error(`service-reflector in ${name} exited ${status.code}; its last logs:`);
        console.error(process.logs().trim().split("\n").slice(-20).join("\n"));
      }
    }
    for (const transport of transports) transport.close();
    await pods.disposeAsync();
    await Promise.all(clusters.map((cluster) => cluster.stop()));
  }
  if (unclean) throw new Error("A service-reflector command did not stop cleanly; see above.");
}

if (import.meta.main) {
  const controller = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => controller.abort());
  }
  try {
    await run(controller.signal, Deno.args.includes("--check"));
    Deno.exit(0);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(1);
  }
}
