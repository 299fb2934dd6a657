/**
 * End to end as a user sees it: a Pod of the host cluster ("west") resolves
 * a mirror's name with west's CoreDNS and connects through west's
 * kube-proxy to Pods of the source clusters ("east", "north"). Everything
 * is real but the Pods, which are listeners of this process on their Pod
 * IPs, all in one private network (`scripts/in_private_network.sh`): the
 * flat network the project assumes between clusters.
 *
 * The command runs in west as it would be deployed, with only the Reflector
 * and both sources by kubeconfig. Each step ends with the shared invariant
 * (host state equals what the sources say).
 *
 * Times (a scale-up to the first answer of a new Pod through the mirror's
 * ClusterIP, DNS answers) are noted in `.cache/e2e/data_plane.jsonl`.
 */
import { deepStrictEqual, equal } from "node:assert/strict";
import {
  type Cluster,
  type NameServer,
  podAnswer,
  type PodServer,
  setPodReady,
  startPodServer,
  withClusters,
} from "../cluster/mod.ts";
import { applyServedService } from "../support/exported_service.ts";
import { adminConfig } from "../support/client_configs.ts";
import { startCommand } from "../support/command.ts";
import {
  clusterIPOf,
  FreshConnections,
  resolveIPv4,
  resolvePtr,
  resolveSrv,
} from "../support/data_plane_client.ts";
import { noteTiming } from "../support/noted_timings.ts";
import { poll } from "../support/poll.ts";
import { adminViews } from "../support/source_views.ts";
import { converged, guardUnowned } from "../faults/invariant.ts";
import { RestClient } from "../../lib/kube/rest.ts";
import { Transport } from "../../lib/kube/transport.ts";

const namespace = "demo";
const podPort = 8080;
const timings = "e2e/data_plane";
/** Requests per sample: with 4 endpoints, one is missed by 40 random picks about once in 25 000. */
const sample = 40;

/** What a step needs: the clusters, west's name server, a client, and served Pods to close. */
interface World {
  east: Cluster;
  north: Cluster;
  west: Cluster;
  nameServer: NameServer;
  client: FreshConnections;
  pods: AsyncDisposableStack;
}

/** The FQDN of Service (or `host.` + Service) `name` in the demo namespace. */
const fqdn = (name: string) => `${name}.${namespace}.svc.cluster.local`;

/** Applies Service `name` to `cluster`, exported, selecting Pods labelled `app=<name>`. */
function exportService(cluster: Cluster, name: string, options: { headless?: boolean } = {}) {
  return applyServedService(cluster, { namespace, name, targetPort: podPort, ...options });
}

/** Serves Pod `name` of `app` on `ip` in `cluster`, closed with the world. */
async function servePod(
  world: World,
  cluster: Cluster,
  pod: { app: string; name: string; ip: string; hostname?: string },
): Promise<PodServer> {
  const server = await startPodServer(cluster, {
    namespace,
    name: pod.name,
    ips: [pod.ip],
    labels: { app: pod.app },
    port: podPort,
    ports: [{ name: "http", containerPort: podPort }],
    ...(pod.hostname ? { hostname: pod.hostname, subdomain: pod.app } : {}),
  });
  world.pods.use(server);
  return server;
}

/** Polls west's CoreDNS until `name` has A records, and notes how long the first answer took. */
async function resolved(world: World, name: string): Promise<string[]> {
  return await poll(async () => {
    const started = performance.now();
    const found = await resolveIPv4(world.nameServer, name);
    if (found.length === 0) return undefined;
    await noteTiming(timings, `A ${name}`, performance.now() - started);
    return found;
  }, { description: `A records of ${name} from west's CoreDNS` });
}

/** West's mirror ClusterIP of `name`, once the mirror exists. */
function mirrorClusterIP(west: Cluster, name: string): Promise<string> {
  return clusterIPOf(west, namespace, name);
}

/** Requests `address` until the answers seen are exactly `expected`; none may be outside it. */
async function reachesExactly(world: World, address: string, expected: string[]): Promise<void> {
  await world.client.answeredBy(address, 80, expected, {
    sampleSize: sample,
    only: true,
    timeoutMs: 60_000,
  });
}

/** The unit of every step's end: west holds what the sources say, nothing unowned touched. */
async function invariantHolds(world: World, run: () => Promise<void>): Promise<void> {
  using hostTransport = new Transport(adminConfig(world.west));
  using sources = adminViews({ east: world.east, north: world.north });
  const host = new RestClient(hostTransport);
  const guard = await guardUnowned(host);
  await run();
  await converged(host, sources.views);
  await guard.untouched();
}

async function clusterIpFollowsScaleAndReadiness(world: World): Promise<void> {
  const { east, west } = world;
  await exportService(east, "hello");
  const first = [1, 2].map((index) => ({
    app: "hello",
    name: `hello-${index}`,
    ip: `10.244.1.${index}`,
  }));
  for (const pod of first) await servePod(world, east, pod);

  const clusterIP = await mirrorClusterIP(west, "hello");
  deepStrictEqual(await resolved(world, fqdn("hello")), [clusterIP]);
  deepStrictEqual(await resolvePtr(world.nameServer, clusterIP), [`${fqdn("hello")}.`]);
  const answersOf = (names: string[]) => names.map((name) => podAnswer(east, namespace, name));
  await reachesExactly(world, clusterIP, answersOf(["hello-1", "hello-2"]));

  const scaled = performance.now();
  for (const index of [3, 4]) {
    await servePod(world, east, { app: "hello", name: `hello-${index}`, ip: `10.244.1.${index}` });
  }
  const newcomers = answersOf(["hello-3", "hello-4"]);
  await poll(async () => {
    return newcomers.includes(await world.client.get(clusterIP, 80)) ? true : undefined;
  }, { description: "a first answer of a new Pod", timeoutMs: 60_000, intervalMs: 10 });
  await noteTiming(
    timings,
    "scale-up to the first answer of a new Pod",
    performance.now() - scaled,
  );
  const all = answersOf(["hello-1", "hello-2", "hello-3", "hello-4"]);
  await reachesExactly(world, clusterIP, all);

  await setPodReady(east, { namespace, name: "hello-2" }, false);
  const ready = answersOf(["hello-1", "hello-3", "hello-4"]);
  await poll(async () => {
    const answers = await world.client.answers(clusterIP, 80, sample);
    return answers.has(podAnswer(east, namespace, "hello-2")) ? undefined : true;
  }, { description: "a sample without the unready hello-2", timeoutMs: 60_000 });
  // Once a sample missed it, it stays missed while the others keep answering.
  await reachesExactly(world, clusterIP, ready);
}

async function headlessResolvesToPods(world: World): Promise<void> {
  const { east, west } = world;
  await exportService(east, "hello-headless", { headless: true });
  const pods = [0, 1].map((index) => ({
    app: "hello-headless",
    name: `web-${index}`,
    ip: `10.244.1.${10 + index}`,
    hostname: `web-${index}`,
  }));
  for (const pod of pods) await servePod(world, east, pod);
  equal(await mirrorClusterIP(west, "hello-headless"), "None");

  const name = fqdn("hello-headless");
  await poll(async () => {
    const found = await resolveIPv4(world.nameServer, name);
    return found.length === pods.length ? true : undefined;
  }, { description: `both Pod IPs behind ${name}` });
  deepStrictEqual(await resolved(world, name), pods.map((pod) => pod.ip));
  deepStrictEqual(await resolved(world, `web-0.${name}`), ["10.244.1.10"]);
  deepStrictEqual(await resolvePtr(world.nameServer, "10.244.1.10"), [`web-0.${name}.`]);
  equal(await world.client.get("10.244.1.10", podPort), podAnswer(east, namespace, "web-0"));

  const started = performance.now();
  const srv = await resolveSrv(world.nameServer, `_http._tcp.${name}`);
  await noteTiming(timings, `SRV _http._tcp.${name}`, performance.now() - started);
  deepStrictEqual(
    srv.map(({ target, port }) => ({ target, port })),
    pods.map((pod) => ({ target: `${pod.hostname}.${name}.`, port: podPort })),
  );
}

async function mergedServiceAnsweredByBoth(world: World): Promise<void> {
  const { east, north, west } = world;
  await exportService(east, "shared");
  await exportService(north, "shared");
  await servePod(world, east, { app: "shared", name: "shared-east", ip: "10.244.1.20" });
  await servePod(world, north, { app: "shared", name: "shared-north", ip: "10.244.2.20" });
  const clusterIP = await mirrorClusterIP(west, "shared");
  deepStrictEqual(await resolved(world, fqdn("shared")), [clusterIP]);
  await reachesExactly(world, clusterIP, [
    podAnswer(east, namespace, "shared-east"),
    podAnswer(north, namespace, "shared-north"),
  ]);
}

/** How a connection to `address` port 80 ends within a second: "answered", "refused" or "dropped". */
async function connectionOutcome(address: string): Promise<"answered" | "refused" | "dropped"> {
  try {
    const connection = await Deno.connect({
      hostname: address,
      port: 80,
      signal: AbortSignal.timeout(1_000),
    });
    connection.close();
    return "answered";
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused) return "refused";
    if (error instanceof DOMException && error.name === "TimeoutError") return "dropped";
    throw error;
  }
}

/**
 * A source Service going: while it has no Pods its mirror stays with no
 * endpoints, which kube-proxy rejects; once it is deleted its name stops
 * resolving and its former ClusterIP, now unallocated, is dropped (what
 * kube-proxy does with addresses of the Service range no Service holds).
 */
async function deletedServiceStopsResolving(world: World): Promise<void> {
  const { east } = world;
  const name = fqdn("hello");
  const clusterIP = (await resolved(world, name))[0] ?? "";
  await east.kubectl("delete", "pods", "-n", namespace, "-l", "app=hello", "--wait=false");
  await poll(async () => (await connectionOutcome(clusterIP)) === "refused" || undefined, {
    description: `connections to ${clusterIP} refused once hello has no Pods`,
  });

  await east.kubectl("delete", "service", "hello", "-n", namespace);
  const deleted = performance.now();
  await poll(async () => {
    return (await resolveIPv4(world.nameServer, name)).length === 0 ? true : undefined;
  }, { description: `${name} to stop resolving`, timeoutMs: 60_000 });
  await noteTiming(
    timings,
    "source Service deleted to its name not resolving",
    performance.now() - deleted,
  );
  await poll(async () => (await connectionOutcome(clusterIP)) === "dropped" || undefined, {
    description: `connections to the former ClusterIP ${clusterIP} dropped`,
  });
}

Deno.test("a mirror's name resolves in the host and its connections reach the source Pods", async (t) => {
  const specs = ["east", "north", { name: "west", dataPlane: true }];
  await withClusters(specs, async ([east, north, west]) => {
    if (!east || !north || !west?.nameServer) throw new Error("clusters missing");
    for (const cluster of [east, north, west]) {
      await cluster.kubectl("create", "namespace", namespace);
    }
    await using reflector = await startCommand([
      `--kubeconfig=${west.kubeconfig}`,
      "--emitter=false",
      `--reflector.source-kubeconfig=east=${east.kubeconfig}`,
      `--reflector.source-kubeconfig=north=${north.kubeconfig}`,
      "--reflector.selector=export=yes",
    ]);
    await reflector.ready();
    using client = new FreshConnections();
    await using pods = new AsyncDisposableStack();
    const world: World = { east, north, west, nameServer: west.nameServer, client, pods };

    const steps: [string, (world: World) => Promise<void>][] = [
      [
        "the name resolves to the mirror's ClusterIP, which follows a scale-up and an unready Pod",
        clusterIpFollowsScaleAndReadiness,
      ],
      [
        "a headless mirror resolves to the source Pods, each by hostname and back (PTR), with SRV records",
        headlessResolvesToPods,
      ],
      ["a Service of two sources is answered by Pods of both", mergedServiceAnsweredByBoth],
      [
        "a source Service without Pods is refused; deleted, its name stops resolving and its ClusterIP is dropped",
        deletedServiceStopsResolving,
      ],
    ];
    for (const [name, step] of steps) {
      await t.step(name, () => invariantHolds(world, () => step(world)));
    }
  });
});
