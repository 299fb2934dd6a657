/**
 * The Reflector between two real clusters: "east" is the source, "west"
 * the host. Pods in east have no kubelet; tests set their status, and
 * east's real EndpointSlice controller turns them into endpoints. Each
 * scenario has clusters of its own, so that one failing hides no other.
 * "Writes nothing" is counted at west's apiserver (its audit log), by the
 * Reflector's user agent.
 */
import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import type { Namespace, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { type Cluster, createReadyPod, withClusters } from "../../tests/cluster/mod.ts";
import { adminConfig } from "../../tests/support/client_configs.ts";
import { holds } from "../../tests/support/holds.ts";
import { delay, poll } from "../../tests/support/poll.ts";
import { reportedEvents } from "../../tests/support/reported_events.ts";
import { reflectorHarness, type RunningReflector } from "../../tests/support/reflector_harness.ts";
import { mirrorOf, unlessNotFound } from "../../tests/support/reflector_mirror.ts";
import { untilServerQuiet } from "../../tests/support/server_quiet.ts";
import { describeWrite, markServerWrites } from "../../tests/support/server_writes.ts";
import {
  type Scenario,
  scenario,
  scenarioNamespace,
} from "../../tests/support/reflector_scenario.ts";
import { endpointSlices, namespaces, services } from "../kube/resource.ts";
import { RestClient } from "../kube/rest.ts";
import { isNotFound } from "../kube/status_error.ts";

const namespace = scenarioNamespace;

/**
 * Waits until the mirror of `name` has exactly `endpoints` (`ip:ready`,
 * sorted), or, with `undefined`, until it is gone: the Service NotFound and
 * no slice left.
 */
async function until(
  host: RestClient,
  name: string,
  endpoints: string[] | undefined,
  description: string,
) {
  return await poll(async () => {
    const state = await mirrorOf(host, namespace, name);
    if (endpoints === undefined) {
      return state.service === undefined && state.slices.length === 0 ? state : undefined;
    }
    return state.service && JSON.stringify(state.endpoints) === JSON.stringify(endpoints)
      ? state
      : undefined;
  }, { description, timeoutMs: 30_000 });
}

async function serviceIn(
  cluster: Cluster,
  name: string,
  labels: Record<string, string>,
  ports = [80],
) {
  await applyIn(cluster, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace, labels },
    spec: {
      selector: { app: name },
      ports: ports.map((port) => ({ name: `p${port}`, port, targetPort: port + 8000 })),
    },
  });
}

async function applyIn(cluster: Cluster, object: Record<string, unknown>): Promise<void> {
  await cluster.kubectlWithInput(JSON.stringify(object), "apply", "-f", "-");
}

async function podsOf(east: Cluster, app: string, ips: string[], first = 1): Promise<void> {
  for (const [index, ip] of ips.entries()) {
    await createReadyPod(east, {
      namespace,
      name: `${app}-${first + index}`,
      ips: [ip],
      labels: { app },
    });
  }
}

async function notReady(east: Cluster, pod: string): Promise<void> {
  await east.kubectlWithInput(
    JSON.stringify({ status: { conditions: [{ type: "Ready", status: "False" }] } }),
    "patch",
    "pod",
    pod,
    "-n",
    namespace,
    "--subresource=status",
    "--type=merge",
    "--patch-file=/dev/stdin",
  );
}

/** Exports web with ready Pods at 10.1.0.1 and .2, and db unexported. */
async function exportWeb(east: Cluster): Promise<void> {
  await serviceIn(east, "web", { export: "yes", team: "a" });
  await serviceIn(east, "db", { team: "b" });
  await podsOf(east, "web", ["10.1.0.1", "10.1.0.2"]);
}

Deno.test("the Reflector mirrors a Service with its endpoints and follows scaling, readiness and port changes", async (t) => {
  await scenario(async ({ east, host, start }) => {
    await exportWeb(east);
    start();
    await t.step("a Service with ready Pods is mirrored with its endpoints", async () => {
      const state = await until(host, "web", ["10.1.0.1:true", "10.1.0.2:true"], "web mirrored");
      const service = state.service as Service;
      equal(service.spec?.selector, undefined);
      deepStrictEqual(service.spec?.ports?.map((port) => [port.name, port.port]), [["p80", 80]]);
      equal(service.metadata?.labels?.["app.kubernetes.io/managed-by"], "service-reflector");
      equal(service.metadata?.labels?.["team"], "a");
      equal(service.metadata?.annotations?.["service-reflector.squat.ai/reflected"], "true");
      for (const slice of state.slices) {
        equal(
          slice.metadata?.labels?.["endpointslice.kubernetes.io/managed-by"],
          "service-reflector.squat.ai",
        );
        equal(slice.metadata?.ownerReferences?.[0]?.uid, service.metadata?.uid);
        deepStrictEqual(slice.ports?.map((port) => [port.name, port.port]), [["p80", 8080]]);
        equal(slice.endpoints[0]?.nodeName, undefined);
      }
      equal(
        (await mirrorOf(host, namespace, "db")).service,
        undefined,
        "unselected Services are not mirrored",
      );
    });

    await t.step("scaling, readiness and port changes in the source reach the host", async () => {
      await podsOf(east, "web", ["10.1.0.3"], 3);
      await until(
        host,
        "web",
        ["10.1.0.1:true", "10.1.0.2:true", "10.1.0.3:true"],
        "a third endpoint",
      );
      await east.kubectl("delete", "pod", "web-1", "-n", namespace);
      await until(host, "web", ["10.1.0.2:true", "10.1.0.3:true"], "one endpoint fewer");
      await notReady(east, "web-2");
      await until(host, "web", ["10.1.0.2:false", "10.1.0.3:true"], "a readiness flip");
      await serviceIn(east, "web", { export: "yes", team: "a" }, [80, 443]);
      await poll(async () => {
        const state = await mirrorOf(host, namespace, "web");
        const ports = state.service?.spec?.ports?.map((port) => port.port).join(",");
        const slicePorts = state.slices.flatMap((slice) =>
          slice.ports?.map((port) => port.port) ?? []
        ).sort().join(",");
        return ports === "80,443" && slicePorts === "8080,8443" ? true : undefined;
      }, { description: "the new port on the mirror and its slices" });
    });
  });
});

/** Exports headless, ExternalName, LoadBalancer, dual-stack and 250-endpoint Services. */
async function exportShapes(east: Cluster): Promise<void> {
  const apply = (spec: Record<string, unknown>, name: string) =>
    applyIn(east, {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace, labels: { export: "yes" } },
      spec,
    });
  await apply({
    clusterIP: "None",
    selector: { app: "stateful" },
    ports: [{ name: "db", port: 5432 }],
  }, "stateful");
  await createReadyPod(east, {
    namespace,
    name: "stateful-0",
    ips: ["10.2.0.1"],
    labels: { app: "stateful" },
    hostname: "stateful-0",
    subdomain: "stateful",
  });
  await apply({ type: "ExternalName", externalName: "db.example.com" }, "external");
  await apply({
    type: "LoadBalancer",
    selector: { app: "lb" },
    ports: [{ name: "http", port: 80 }],
  }, "lb");
  await apply({
    ipFamilyPolicy: "RequireDualStack",
    selector: { app: "dual" },
    ports: [{ name: "http", port: 80 }],
  }, "dual");
  await createReadyPod(east, {
    namespace,
    name: "dual-1",
    ips: ["10.3.0.1", "fd00:10:3::1"],
    labels: { app: "dual" },
  });
  await apply({ selector: { app: "big" }, ports: [{ name: "http", port: 80 }] }, "big");
  for (let start = 0; start < 250; start += 25) {
    await Promise.all(Array.from({ length: 25 }, (_, offset) => {
      const index = start + offset;
      return createReadyPod(east, {
        namespace,
        name: `big-${index}`,
        ips: [`10.4.${Math.floor(index / 200)}.${(index % 200) + 1}`],
        labels: { app: "big" },
      });
    }));
  }
}

/** Waits for the mirrors of {@linkcode exportShapes} and checks their shape. */
async function shapesMirrored(host: RestClient): Promise<void> {
  const stateful = await until(host, "stateful", ["10.2.0.1:true"], "the headless mirror");
  equal(stateful.service?.spec?.clusterIP, "None");
  equal(stateful.slices[0]?.endpoints[0]?.hostname, "stateful-0");
  const external = await poll(
    () => unlessNotFound(host.get<Service>(services, "external", { namespace })),
    { description: "the ExternalName mirror" },
  );
  deepStrictEqual([external.spec?.type, external.spec?.externalName], [
    "ExternalName",
    "db.example.com",
  ]);
  const lb = await until(host, "lb", [], "the LoadBalancer mirror");
  equal(lb.service?.spec?.type, "ClusterIP");
  equal(lb.service?.spec?.ports?.[0]?.nodePort, undefined);
  const dual = await until(
    host,
    "dual",
    ["10.3.0.1:true", "fd00:10:3::1:true"],
    "the dual-stack mirror",
  );
  deepStrictEqual(dual.slices.map((slice) => slice.addressType).sort(), ["IPv4", "IPv6"]);
  equal(dual.service?.spec?.ipFamilyPolicy, "RequireDualStack");
  const big = await poll(async () => {
    const state = await mirrorOf(host, namespace, "big");
    return state.endpoints.length === 250 ? state : undefined;
  }, { description: "250 endpoints mirrored", timeoutMs: 60_000 });
  deepStrictEqual(big.slices.map((slice) => slice.endpoints.length).sort((a, b) => a - b), [
    50,
    100,
    100,
  ]);
}

Deno.test("the Reflector keeps the shape of headless, ExternalName, LoadBalancer, dual-stack and large Services", async () => {
  await scenario(async ({ east, host, start }) => {
    await exportShapes(east);
    start();
    await shapesMirrored(host);
  });
});

/** Leaves in west a mirror as the original Go reflector wrote it, and exports legacy as NodePort. */
async function originalsMirror(east: Cluster, west: Cluster): Promise<void> {
  await west.kubectl("create", "namespace", namespace);
  await applyIn(west, {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: "legacy",
      namespace,
      annotations: {
        "service-reflector.squat.ai/reflected": "true",
        "service-reflector.squat.ai/source": "old-go-reflector",
      },
    },
    spec: { ports: [{ name: "old", port: 9999 }] },
  });
  await applyIn(east, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "legacy", namespace, labels: { export: "yes" } },
    spec: { type: "NodePort", selector: { app: "legacy" }, ports: [{ name: "http", port: 80 }] },
  });
}

/** Waits until the original's mirror of legacy is adopted. */
async function adopted(host: RestClient): Promise<Service> {
  return await poll(async () => {
    const service = await host.get<Service>(services, "legacy", { namespace });
    return service.metadata?.labels?.["app.kubernetes.io/managed-by"] === "service-reflector"
      ? service
      : undefined;
  }, { description: "the original's mirror to be adopted" });
}

Deno.test("the Reflector adopts a mirror left by the original Go reflector, and NodePort becomes ClusterIP", async () => {
  await scenario(async ({ east, west, host, start }) => {
    await originalsMirror(east, west);
    start();
    const service = await adopted(host);
    equal(service.spec?.type, "ClusterIP");
    deepStrictEqual(
      service.spec?.ports?.map((port) => [port.name, port.port, port.nodePort]),
      [["http", 80, undefined]],
    );
    equal(service.metadata?.annotations?.["service-reflector.squat.ai/source"], "east");
  });
});

/** Exports taken, which west has already as a Service of its own (namespace shop must exist there). */
async function takenInBoth(east: Cluster, west: Cluster): Promise<void> {
  await west.kubectl("create", "service", "clusterip", "taken", "-n", namespace, "--tcp=1234:1234");
  await serviceIn(east, "taken", { export: "yes" });
}

/**
 * Starts a Reflector with web mirrored (which creates namespace shop in
 * west) and taken exported by east but held by west's own Service, and
 * waits until the conflict is reported.
 */
async function unownedReported(
  { east, west, host, start }: Scenario,
): Promise<RunningReflector> {
  await exportWeb(east);
  const reflector = start();
  await until(host, "web", ["10.1.0.1:true", "10.1.0.2:true"], "web mirrored");
  await takenInBoth(east, west);
  await poll(() => reflector.unowned.includes(`${namespace}/taken`) || undefined, {
    description: "the conflict to be reported",
  });
  return reflector;
}

Deno.test("the Reflector leaves an unowned same-named host Service alone and reports it", async () => {
  await scenario(async (clusters) => {
    const { host } = clusters;
    const reflector = await unownedReported(clusters);
    const untouched = await host.get<Service>(services, "taken", { namespace });
    deepStrictEqual(untouched.spec?.ports?.map((port) => port.port), [1234]);
    equal(untouched.metadata?.labels?.["app.kubernetes.io/managed-by"], undefined);
    const events = await reportedEvents(host, namespace, "taken", "NotOwned");
    equal(events.length, 1, "the event is recorded once, not once per retry");
    equal(events[0]?.type, "Warning");
    const metrics = await reflector.registry.metrics();
    ok(/service_reflector_unowned_conflicts_total [1-9]/.test(metrics), metrics);
    ok(metrics.includes('service_reflector_source_synced{source="east"} 1'), metrics);
    ok(/service_reflector_reconcile_attempts_total [1-9]/.test(metrics), metrics);
    ok(/service_reflector_mirrors [1-9]/.test(metrics), metrics);
    const created = await host.get<Namespace>(namespaces, namespace);
    equal(
      created.metadata?.labels?.["app.kubernetes.io/managed-by"],
      "service-reflector",
      "the namespace it created is marked ours",
    );
  });
});

Deno.test("once the unowned same-named host Service is deleted, the mirror appears with no source change", async () => {
  await scenario(async (clusters) => {
    const { west, host } = clusters;
    await unownedReported(clusters);
    await west.kubectl("delete", "service", "taken", "-n", namespace);
    const mirror = await poll(async () => {
      const service = await unlessNotFound(host.get<Service>(services, "taken", { namespace }));
      return service?.metadata?.labels?.["app.kubernetes.io/managed-by"] === "service-reflector"
        ? service
        : undefined;
    }, { description: "the mirror of taken, once the host's own Service is gone" });
    deepStrictEqual(mirror.spec?.ports?.map((port) => port.port), [80]);
  });
});

Deno.test("a foreign EndpointSlice holding a slice's name is left alone, the mirror gets its endpoints under another, reported", async () => {
  await scenario(async ({ east, west, host, start }) => {
    await west.kubectl("create", "namespace", namespace);
    await west.kubectlWithInput(
      JSON.stringify({
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: { name: "web.east.ipv4-0-0", namespace, labels: { team: "own" } },
        addressType: "IPv4",
        endpoints: [{ addresses: ["10.9.9.9"] }],
      }),
      "create",
      "-f",
      "-",
    );
    const version = () =>
      west.kubectl(
        "get",
        "endpointslice",
        "web.east.ipv4-0-0",
        "-n",
        namespace,
        "-o",
        "jsonpath={.metadata.resourceVersion}",
      );
    const before = await version();
    await exportWeb(east);
    const reflector = start();
    const mirrored = await until(host, "web", ["10.1.0.1:true", "10.1.0.2:true"], "web mirrored");
    deepStrictEqual(
      mirrored.slices.map((slice) => slice.metadata?.name?.startsWith("web.east.ipv4-0-0-")),
      [true],
    );
    const events = await reportedEvents(host, namespace, "web", "NameTaken");
    ok(
      events[0]?.message?.includes(`endpointslices ${namespace}/web.east.ipv4-0-0`),
      events[0]?.message,
    );
    deepStrictEqual(reflector.clashes.map((clash) => clash.wanted), ["web.east.ipv4-0-0"]);
    const metrics = await reflector.registry.metrics();
    ok(
      metrics.includes('service_reflector_name_clashes_total{resource="endpointslices"} 1'),
      metrics,
    );
    equal(await version(), before, "the foreign slice is untouched");
  });
});

Deno.test("the periodic resync writes what no event tells, and nothing once converged", async () => {
  await scenario(async ({ east, west, start }) => {
    await west.kubectl("create", "namespace", namespace);
    await west.kubectlWithInput(
      JSON.stringify({
        apiVersion: "v1",
        kind: "Endpoints",
        metadata: { name: "web", namespace },
        subsets: [{ addresses: [{ ip: "10.9.9.9" }], ports: [{ port: 1 }] }],
      }),
      "create",
      "-f",
      "-",
    );
    await exportWeb(east);
    const reflector = start({ legacyEndpoints: true, resyncMs: 2_000 });
    const key = `${namespace}/web`;
    await poll(() => reflector.clashes.find((clash) => clash.resource === "endpoints"), {
      description: "the foreign Endpoints reported",
    });
    // Once the reconciles its own writes caused are over (a quiet moment between resyncs:
    // for longer than the 300 ms wait, no attempt of the key and no write at the host),
    // nothing the Reflector watches tells of this deletion: only a resync finds it.
    const { userAgent } = reflector;
    ok(userAgent, "the harness names the Reflector's requests");
    await poll(async () => {
      const before = reflector.attempts.get(key);
      const mark = await markServerWrites(west);
      await delay(500);
      return reflector.attempts.get(key) === before &&
          (await mark.writes({ userAgent })).length === 0 || undefined;
    }, { description: "a quiet moment" });
    await west.kubectl("delete", "endpoints", "web", "-n", namespace);
    const legacy = () =>
      west.kubectl("get", "endpoints", "web", "-n", namespace, "-o", "json").then(JSON.parse);
    await poll(async () => {
      const written = await legacy().catch(() => undefined);
      return written?.metadata?.labels?.["app.kubernetes.io/managed-by"] === "service-reflector"
        ? written
        : undefined;
    }, { description: "the mirror's own Endpoints, written by a resync" });
    const converged = await markServerWrites(west);
    const attempts = reflector.attempts.get(key) ?? 0;
    await poll(() => (reflector.attempts.get(key) ?? 0) >= attempts + 2 || undefined, {
      description: "two more resyncs of the key",
    });
    // Nothing at all: no mirror object and no Event either.
    deepStrictEqual(
      (await converged.writes({ userAgent })).map(describeWrite),
      [],
      "a converged resync writes nothing",
    );
  });
});

Deno.test("a clean stop mid-sync lets the keys in hand finish: no mirror is left without its slices", async () => {
  await scenario(async ({ east, host, start }) => {
    const count = 40;
    const items = Array.from({ length: count }, (_, index) => [{
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: `s${index}`, namespace, labels: { export: "yes" } },
      spec: { ports: [{ name: "http", port: 80 }] },
    }, {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: `s${index}-1`,
        namespace,
        labels: { "kubernetes.io/service-name": `s${index}` },
      },
      addressType: "IPv4",
      endpoints: [{ addresses: [`10.1.0.${index + 1}`] }],
      ports: [{ name: "http", port: 80, protocol: "TCP" }],
    }]).flat();
    await east.kubectlWithInput(
      JSON.stringify({ apiVersion: "v1", kind: "List", items }),
      "apply",
      "-f",
      "-",
    );
    // Stopped as soon as the first mirror Service is written, not at a poll's next turn, by
    // which all 40 may be done.
    const firstService = Promise.withResolvers<void>();
    const reflector = start({
      drainMs: 10_000,
      observer: {
        onWrite: (write) => {
          if (write.resource === "services") firstService.resolve();
        },
      },
    });
    await firstService.promise;
    await reflector.stop();
    const mirrors = (await host.list<Service>(services, {
      namespace,
      labelSelector: "app.kubernetes.io/managed-by=service-reflector",
    })).items.map((service) => service.metadata?.name ?? "");
    ok(mirrors.length < count, `stopped mid-sync (${mirrors.length} of ${count} mirrors)`);
    const sliced = new Set((await host.list<EndpointSlice>(endpointSlices, { namespace })).items
      .map((slice) => slice.metadata?.labels?.["kubernetes.io/service-name"]));
    deepStrictEqual(mirrors.filter((name) => !sliced.has(name)), [], "mirrors without slices");
  });
});

Deno.test("a source that goes down is reported down, with its URL and errors, and up once back", async () => {
  await scenario(async ({ east, host, start }) => {
    await exportWeb(east);
    const reflector = start();
    await until(host, "web", ["10.1.0.1:true", "10.1.0.2:true"], "web mirrored");
    const state = () => reflector.reflector.sourceStates.find((each) => each.name === "east");
    const up = await poll(() => state()?.connected ? state() : undefined, {
      description: "east up",
    });
    equal(up.url, new URL(east.server).href);
    await east.stopApiserver();
    const down = await poll(() => state()?.connected === false ? state() : undefined, {
      description: "east reported down",
    });
    equal(down.synced, true, "its caches stay synced: their last state is kept");
    ok((down.lastContactMs ?? 0) >= (up.lastContactMs ?? Infinity), "the last contact is kept");
    let metrics = await reflector.registry.metrics();
    ok(metrics.includes('service_reflector_source_up{source="east"} 0'), metrics);
    ok(metrics.includes('service_reflector_source_synced{source="east"} 1'), metrics);
    ok(
      /service_reflector_source_errors_total\{source="east",phase="watch",kind="\w+"\} [1-9]/.test(
        metrics,
      ),
      metrics,
    );
    const failure = await poll(
      () => reflector.informerErrors.find((each) => each.cluster === "east"),
      {
        description: "a failure of east told",
      },
    );
    equal(failure.url, up.url, "the failure names the source's URL");
    await east.startApiserver();
    await poll(() => state()?.connected || undefined, { description: "east up again" });
    metrics = await reflector.registry.metrics();
    ok(metrics.includes('service_reflector_source_up{source="east"} 1'), metrics);
  });
});

Deno.test("without namespace creation, a key parks until its namespace appears, reported once", async () => {
  await scenario(async ({ east, west, host, start }) => {
    const reflector = start({ createNamespaces: false });
    await east.kubectl("create", "namespace", "fresh");
    await east.kubectl("create", "service", "clusterip", "late-ns", "-n", "fresh", "--tcp=80:80");
    await east.kubectl("label", "service", "late-ns", "-n", "fresh", "export=yes");
    await poll(() => reflector.namespaceMissing.includes("fresh/late-ns") || undefined, {
      description: "the wait to be reported",
    });
    // Parked, not retried: a waiting key costs no request until its namespace
    // appears (the source's own events may still bring it back once or twice).
    await delay(500);
    const attempts = reflector.attempts.get("fresh/late-ns");
    await holds(() => reflector.attempts.get("fresh/late-ns") === attempts, {
      description: "no new attempt while the namespace is missing (the wait is 300 ms)",
      forMs: 1_500,
    });
    await rejects(host.get(namespaces, "fresh"), isNotFound, "the namespace was not created");
    await west.kubectl("create", "namespace", "fresh");
    await poll(
      () => unlessNotFound(host.get<Service>(services, "late-ns", { namespace: "fresh" })),
      { description: "the mirror once the namespace exists" },
    );
  });
});

Deno.test("a restarted Reflector writes nothing when the host has converged", async () => {
  await scenario(async ({ east, west, host, start }) => {
    // One mirror of each kind: every shape, an adopted one, one updated in
    // place while the first Reflector ran, and an unowned Service.
    await originalsMirror(east, west);
    await exportWeb(east);
    await exportShapes(east);
    await takenInBoth(east, west);
    const began = await markServerWrites(west);
    const first = start();
    await until(host, "web", ["10.1.0.1:true", "10.1.0.2:true"], "web mirrored");
    await notReady(east, "web-2");
    await serviceIn(east, "web", { export: "yes", team: "a" }, [80, 443]);
    await poll(async () => {
      const state = await mirrorOf(host, namespace, "web");
      const ports = state.service?.spec?.ports?.map((port) => port.port).join(",");
      return ports === "80,443" && state.endpoints.join() === "10.1.0.1:true,10.1.0.2:false"
        ? true
        : undefined;
    }, { description: "web updated in place" });
    await shapesMirrored(host);
    await adopted(host);
    const keys = ["web", "taken", "stateful", "external", "lb", "dual", "big", "legacy"].map((
      name,
    ) => `${namespace}/${name}`);
    await poll(() => keys.every((key) => first.settled.has(key)) || undefined, {
      description: "every key to be reconciled by the first Reflector",
    });
    ok(first.userAgent, "the harness names the Reflector's requests");
    ok(
      (await began.writes({ userAgent: first.userAgent })).length > 0,
      "the first Reflector's writes are told apart",
    );
    await untilServerQuiet(west, {
      description: "the first Reflector",
      userAgent: first.userAgent,
      forMs: 2_000,
    });
    await first.stop();

    const restarted = await markServerWrites(west);
    const second = start();
    ok(second.userAgent && second.userAgent !== first.userAgent);
    await poll(() => keys.every((key) => second.settled.has(key)) || undefined, {
      description: "every mirrored key to be reconciled after the restart",
    });
    const writes = await restarted.writes({ userAgent: second.userAgent });
    deepStrictEqual(
      writes.filter((write) => write.resource !== "events").map(describeWrite),
      [],
      "no mirror object written",
    );
    // Events are not mirror state: each process tells once why `taken` is not mirrored.
    deepStrictEqual(
      writes.filter((write) => write.resource === "events").map((write) => write.verb),
      ["create"],
      "one Event, of the unowned Service",
    );
  });
});

Deno.test("deleting or unselecting a source Service removes its mirror", async () => {
  await scenario(async ({ east, host, start }) => {
    await exportWeb(east);
    await serviceIn(east, "gone", { export: "yes" });
    start();
    await until(host, "gone", [], "gone mirrored");
    await until(host, "web", ["10.1.0.1:true", "10.1.0.2:true"], "web mirrored");
    await east.kubectl("delete", "service", "gone", "-n", namespace);
    await until(host, "gone", undefined, "the mirror of a deleted Service collected");
    await east.kubectl("label", "service", "web", "-n", namespace, "export-");
    await until(host, "web", undefined, "the mirror of an unselected Service collected");
  });
});

Deno.test("changes made while the Reflector was down converge after a restart", async () => {
  await scenario(async ({ east, host, start }) => {
    await serviceIn(east, "api", { export: "yes" });
    const first = start();
    await until(host, "api", [], "api mirrored");
    await first.stop();
    await east.kubectl("delete", "service", "api", "-n", namespace);
    await serviceIn(east, "late", { export: "yes" });
    const second = start();
    await until(host, "api", undefined, "the stale mirror collected after the restart");
    await until(host, "late", [], "the new Service mirrored after the restart");
    ok(second.writes.some((write) => write.verb === "delete" && write.key === `${namespace}/api`));
  });
});

Deno.test("Reflector.run() passes a controller or a source failure on, once everything stopped", async () => {
  await withClusters(["west"], async ([west]) => {
    if (!west) throw new Error("cluster missing");
    // Resolving at all shows the informers stopped: nothing aborts them but
    // the deadline, after which a swallowed failure would resolve instead.
    using deadline = deadlineSignal(30_000);
    const badCount = reflectorHarness({ host: west, sources: [], workers: 0 });
    try {
      await rejects(badCount.reflector.run(deadline.signal), {
        name: "RangeError",
        message: "Cannot run workers as 'workers' must be a positive integer: current value is 0",
      });
      equal(badCount.reflector.hostSynced, true, "the controller ran once the host synced");
    } finally {
      badCount.close();
    }
    const brokenObserver = reflectorHarness({
      host: west,
      sources: [{ name: "self", config: adminConfig(west), selector: "export=yes" }],
      observer: {
        onMode: () => {
          throw new Error("observer broken");
        },
      },
    });
    try {
      await rejects(brokenObserver.reflector.run(deadline.signal), {
        message: "observer broken",
      });
    } finally {
      brokenObserver.close();
    }
  });
});

/** A signal that aborts after `ms`, unless disposed of first. */
function deadlineSignal(ms: number): { signal: AbortSignal } & Disposable {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`deadline of ${ms} ms`)), ms);
  return { signal: controller.signal, [Symbol.dispose]: () => clearTimeout(timer) };
}
