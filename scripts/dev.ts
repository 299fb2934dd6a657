/**
 * The live demo: two real local clusters, "east" and "west". An Emitter
 * serves east's exported Services; a Reflector in west mirrors them by the
 * Emitter's URL alone. A demo Service with Ready Pods is created in east,
 * its mirror and EndpointSlice appear in west, then the Pods are scaled and
 * the slice follows. Everything stays up until Ctrl-C (SIGINT) or SIGTERM,
 * then every process and file is removed.
 *
 * `--check` runs the same steps without waiting for Ctrl-C and exits 0 only
 * if every step was seen (the test suite runs it so).
 *
 * Run with `deno task dev` or, on a fresh machine, `./scripts/dev.sh`.
 *
 * @module
 */
// deno-lint-ignore-file no-console

import type { Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { type Cluster, createReadyPod, startCluster } from "../tests/cluster/mod.ts";
import { clusterBinary } from "../tests/cluster/binary.ts";
import { adminConfig } from "../tests/support/client_configs.ts";
import { poll } from "../tests/support/poll.ts";
import { Emitter } from "../lib/emitter/emitter.ts";
import { configFromUrl } from "../lib/kube/client_config.ts";
import { parseLabelSelector } from "../lib/kube/label_selector.ts";
import { endpointSlices, services } from "../lib/kube/resource.ts";
import { RestClient } from "../lib/kube/rest.ts";
import { Transport } from "../lib/kube/transport.ts";
import { Reflector } from "../lib/reflector/reflector.ts";

const namespace = "demo";
const exportLabel = "service-reflector.squat.ai/export";

/** West's view of the demo mirror: its cluster IP and its endpoints. */
async function mirrorOf(
  west: RestClient,
): Promise<{ clusterIP: string; endpoints: string[] } | undefined> {
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
  return { clusterIP: service.spec?.clusterIP ?? "", endpoints };
}

async function waitForEndpoints(west: RestClient, count: number): Promise<string[]> {
  const mirror = await poll(async () => {
    const state = await mirrorOf(west);
    return state && state.endpoints.length === count ? state : undefined;
  }, { description: `the mirror in west to list ${count} ready endpoints`, timeoutMs: 60_000 });
  return mirror.endpoints;
}

async function createPods(east: Cluster, from: number, to: number): Promise<void> {
  for (let index = from; index <= to; index++) {
    await createReadyPod(east, {
      namespace,
      name: `hello-${index}`,
      ips: [`10.1.0.${index}`],
      labels: { app: "hello" },
    });
  }
}

async function run(signal: AbortSignal, check: boolean): Promise<void> {
  const binary = await clusterBinary();
  const started = Date.now();
  console.log("Starting clusters east and west...");
  const results = await Promise.allSettled(
    ["east", "west"].map((name) => startCluster({ name, signal })),
  );
  const clusters = results.flatMap((result) => result.status === "fulfilled" ? [result.value] : []);
  const stop = new AbortController();
  const running: Promise<void>[] = [];
  const transports: Transport[] = [];
  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  try {
    for (const result of results) {
      if (result.status === "rejected") throw result.reason;
    }
    const [east, westCluster] = clusters as [Cluster, Cluster];
    console.log(`Clusters ready in ${((Date.now() - started) / 1000).toFixed(1)} s.`);

    const eastTransport = new Transport(adminConfig(east));
    const westTransport = new Transport(adminConfig(westCluster));
    transports.push(eastTransport, westTransport);
    const emitter = new Emitter({
      rest: new RestClient(eastTransport),
      selector: parseLabelSelector(`${exportLabel}=true`),
    });
    running.push(emitter.run(stop.signal));
    server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, emitter.handler);
    const emitterUrl = `http://127.0.0.1:${server.addr.port}`;
    const west = new RestClient(westTransport);
    const reflector = new Reflector({
      host: west,
      sources: [{ name: "east", config: configFromUrl(emitterUrl), selector: "" }],
      createNamespaces: true,
      legacyEndpoints: false,
    });
    running.push(reflector.run(stop.signal));
    console.log(`Emitter for east: ${emitterUrl}; Reflector in west reads it.`);

    await east.kubectl("create", "namespace", namespace);
    await east.kubectl("create", "service", "clusterip", "hello", "-n", namespace, "--tcp=80:8080");
    await east.kubectl("label", "service", "hello", "-n", namespace, `${exportLabel}=true`);
    await createPods(east, 1, 2);
    console.log("Created Service demo/hello with 2 Ready Pods in east.");
    console.log(`Mirror in west, endpoints: ${(await waitForEndpoints(west, 2)).join(", ")}`);
    await createPods(east, 3, 4);
    console.log("Scaled demo/hello to 4 Pods in east.");
    console.log(`Mirror in west, endpoints: ${(await waitForEndpoints(west, 4)).join(", ")}`);
    console.log("Demo mirrored and followed a scale-up.\n");
    if (check) return;

    for (const cluster of [east, westCluster]) {
      console.log(`${cluster.name}:`);
      console.log(`  kubeconfig  ${cluster.kubeconfig}`);
      console.log(
        `  try         ${binary} kubectl --kubeconfig=${cluster.kubeconfig} get svc,endpointslices -n ${namespace}`,
      );
      console.log(`  logs        ${cluster.dir}/logs/`);
    }
    console.log(`emitter:\n  try         ${binary} kubectl --server=${emitterUrl} get svc -A`);
    console.log("\nPress Ctrl-C to stop.");
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
  } finally {
    console.log("Stopping...");
    stop.abort();
    await Promise.all(running);
    await server?.shutdown();
    for (const transport of transports) transport.close();
    await Promise.all(clusters.map((cluster) => cluster.stop()));
  }
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
