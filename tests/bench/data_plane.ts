/**
 * The data plane as a Pod of the host sees it, between a source ("east")
 * and a host with CoreDNS and kube-proxy ("west", `dataPlane: true`), with
 * the command in west reflecting east by kubeconfig:
 * - a scale-up from one Pod to two, timed from just before the new Pod is
 *   created to: its endpoint in east's slice, in west's mirror slice (both
 *   by watch), and the first request through the mirror's ClusterIP that
 *   the new Pod answers (a new connection every 5 ms). kube-proxy applies
 *   changes at most once a second, so the scale-ups alternate between one
 *   made 1.5 s after its previous change (it applies at once) and one made
 *   0.2 s after (it waits out its minimum sync period);
 * - DNS answer times of west's CoreDNS for the mirror names (A of a
 *   ClusterIP and of a headless mirror, SRV, a name that does not exist);
 * - a request on a new connection through the ClusterIP against one to the
 *   Pod IP directly (what kube-proxy's DNAT adds).
 *
 * Runs in the private network of `scripts/in_private_network.sh`
 * (`deno task bench` starts it so).
 *
 * @module
 */

import {
  type Cluster,
  podAnswer,
  type PodServer,
  startCluster,
  startPodServer,
} from "../cluster/mod.ts";
import type { NameServer } from "../cluster/data_plane.ts";
import { adminConfig } from "../support/client_configs.ts";
import { startCommand } from "../support/command.ts";
import { clusterIPOf, FreshConnections, resolveIPv4 } from "../support/data_plane_client.ts";
import { applyServedService } from "../support/exported_service.ts";
import { delay, poll } from "../support/poll.ts";
import { RestClient } from "../../lib/kube/rest.ts";
import { Transport } from "../../lib/kube/transport.ts";
import type { BenchCase } from "./report.ts";
import { progressLine } from "./_progress.ts";
import { SliceLatencyWatch } from "./_slice_latency.ts";

/** Options of {@linkcode benchDataPlane}. */
export interface DataPlaneBenchOptions {
  /** Scale-ups timed. Defaults to 20. */
  scaleUps?: number;
  /** Samples of each DNS and request case. Defaults to 300. */
  queries?: number;
  /** Stops the benchmark (clusters and command are still torn down). */
  signal?: AbortSignal;
  /** Progress lines. Defaults to stderr. */
  log?: (line: string) => void;
}

const namespace = "bench";
const podPort = 8080;
const fqdn = (name: string) => `${name}.${namespace}.svc.cluster.local`;

/** The clusters, the command and the clients one run uses. */
interface Plane {
  east: Cluster;
  west: Cluster;
  nameServer: NameServer;
  client: FreshConnections;
  eastRest: RestClient;
  westRest: RestClient;
  signal: AbortSignal | undefined;
}

/** Runs the benchmark; see the module doc for the cases. */
export async function benchDataPlane(options: DataPlaneBenchOptions = {}): Promise<BenchCase[]> {
  const { scaleUps = 20, queries = 300, signal } = options;
  const log = options.log ?? progressLine;
  const start = (name: string, dataPlane: boolean) =>
    startCluster({ name, dataPlane, ...(signal ? { signal } : {}) });
  const started = await Promise.allSettled([start("plane-east", false), start("plane-west", true)]);
  const clusters = started.flatMap((each) => each.status === "fulfilled" ? [each.value] : []);
  try {
    for (const each of started) if (each.status === "rejected") throw each.reason;
    const [east, west] = clusters as [Cluster, Cluster];
    if (!west.nameServer) throw new Error("west has no data plane");
    using eastTransport = new Transport(adminConfig(east));
    using westTransport = new Transport(adminConfig(west));
    using client = new FreshConnections();
    await using pods = new AsyncDisposableStack();
    const plane: Plane = {
      east,
      west,
      nameServer: west.nameServer,
      client,
      eastRest: new RestClient(eastTransport),
      westRest: new RestClient(westTransport),
      signal,
    };
    for (const cluster of clusters) await cluster.kubectl("create", "namespace", namespace);
    await using command = await startCommand([
      `--kubeconfig=${west.kubeconfig}`,
      "--emitter=false",
      `--reflector.source-kubeconfig=east=${east.kubeconfig}`,
      "--reflector.selector=export=yes",
    ]);
    await command.ready();
    await applyServedService(east, { namespace, name: "hello", targetPort: podPort });
    await applyServedService(east, {
      namespace,
      name: "hello-headless",
      targetPort: podPort,
      headless: true,
    });
    pods.use(await servePod(east, "hello", "hello-base", "10.244.1.1"));
    pods.use(await servePod(east, "hello-headless", "web-0", "10.244.1.2"));
    const clusterIP = await clusterIPOf(west, namespace, "hello");
    await client.answeredBy(clusterIP, 80, [podAnswer(east, namespace, "hello-base")], {
      sampleSize: 1,
    });
    log(`mirror hello at ${clusterIP} answers through west's kube-proxy`);
    const scaling = await scaleUpCases(plane, clusterIP, scaleUps, log);
    const dns = await dnsCases(plane, queries);
    log(`${queries} DNS queries of each kind`);
    const requests = await requestCases(plane, clusterIP, "10.244.1.1", queries);
    return [...scaling, ...dns, ...requests];
  } finally {
    await Promise.all(clusters.map((cluster) => cluster.stop()));
  }
}

function servePod(cluster: Cluster, app: string, name: string, ip: string): Promise<PodServer> {
  return startPodServer(cluster, {
    namespace,
    name,
    ips: [ip],
    labels: { app },
    port: podPort,
    ports: [{ name: "http", containerPort: podPort }],
    ...(app.endsWith("headless") ? { hostname: name, subdomain: app } : {}),
  });
}

/** Scale-ups from one Pod to two, each timed to the source slice, the mirror slice and a first answer. */
async function scaleUpCases(
  plane: Plane,
  clusterIP: string,
  count: number,
  log: (line: string) => void,
): Promise<BenchCase[]> {
  const { east, client, signal } = plane;
  await using eastSlices = new SliceLatencyWatch(plane.eastRest, namespace);
  await using westSlices = new SliceLatencyWatch(plane.westRest, namespace);
  const sourceMs: number[] = [];
  const mirrorMs: number[] = [];
  // By the pause since kube-proxy applied the previous change (the Pod's removal).
  const answerMs = new Map<number, number[]>([[1_500, []], [200, []]]);
  const pauses = [...answerMs.keys()];
  for (let index = 1; index <= count; index++) {
    const pause = pauses[index % pauses.length] as number;
    await delay(pause, signal);
    const ip = `10.244.2.${index}`;
    const name = `hello-${index}`;
    const inSource = eastSlices.next({ service: "hello", ip, ready: true });
    const inMirror = westSlices.next({ service: "hello", ip, ready: true });
    const before = performance.now();
    const pod = await servePod(east, "hello", name, ip);
    const answer = podAnswer(east, namespace, name);
    await client.answeredBy(clusterIP, 80, [answer], {
      sampleSize: 1,
      timeoutMs: 60_000,
      intervalMs: 5,
      signal,
    });
    answerMs.get(pause)?.push(performance.now() - before);
    sourceMs.push((await inSource ?? NaN) - before);
    mirrorMs.push((await inMirror ?? NaN) - before);
    await east.kubectl("delete", "pod", name, "-n", namespace, "--wait=false");
    await pod.close();
    // Back to one Pod: no answer of the removed one in a row of 20.
    await poll(async () => {
      const answers = await client.answers(clusterIP, 80, 20);
      return answers.has(answer) ? undefined : true;
    }, { description: `${name} gone from the mirror`, timeoutMs: 60_000 });
  }
  log(`${count} scale-ups to a first answer of the new Pod`);
  return [
    {
      name: "scale-up: new Pod to its endpoint in the source slice",
      unit: "ms",
      samples: sourceMs,
    },
    {
      name: "scale-up: new Pod to its endpoint in the mirror slice",
      unit: "ms",
      samples: mirrorMs,
    },
    ...[...answerMs].map(([pause, samples]) => ({
      name: `scale-up ${
        pause / 1_000
      } s after kube-proxy's last change: new Pod to its first answer through the mirror's ClusterIP`,
      unit: "ms",
      samples,
    })),
  ];
}

/** Times of `count` answers of west's CoreDNS for each kind of query. */
async function dnsCases(plane: Plane, count: number): Promise<BenchCase[]> {
  const { nameServer } = plane;
  const kinds: [string, () => Promise<unknown>][] = [
    ["DNS A of a ClusterIP mirror", () => resolveIPv4(nameServer, fqdn("hello"))],
    ["DNS A of a headless mirror", () => resolveIPv4(nameServer, fqdn("hello-headless"))],
    [
      "DNS A of a headless mirror's Pod by hostname",
      () => resolveIPv4(nameServer, `web-0.${fqdn("hello-headless")}`),
    ],
    [
      "DNS SRV of a headless mirror's named port",
      () => Deno.resolveDns(`_http._tcp.${fqdn("hello-headless")}`, "SRV", { nameServer }),
    ],
    ["DNS A of a name that does not exist", () => resolveIPv4(nameServer, fqdn("absent"))],
  ];
  const cases: BenchCase[] = [];
  for (const [name, query] of kinds) {
    const samples: number[] = [];
    for (let index = 0; index < count; index++) {
      const before = performance.now();
      await query();
      samples.push(performance.now() - before);
    }
    cases.push({ name, unit: "ms", samples });
  }
  return cases;
}

/** A GET on a new connection through the ClusterIP, and straight to a Pod IP, `count` times each. */
async function requestCases(
  plane: Plane,
  clusterIP: string,
  podIP: string,
  count: number,
): Promise<BenchCase[]> {
  const timed = async (address: string, port: number) => {
    const samples: number[] = [];
    for (let index = 0; index < count; index++) {
      const before = performance.now();
      await plane.client.get(address, port);
      samples.push(performance.now() - before);
    }
    return samples;
  };
  return [
    {
      name: "GET on a new connection through the mirror's ClusterIP",
      unit: "ms",
      samples: await timed(clusterIP, 80),
    },
    {
      name: "GET on a new connection to the Pod IP",
      unit: "ms",
      samples: await timed(podIP, podPort),
    },
  ];
}
