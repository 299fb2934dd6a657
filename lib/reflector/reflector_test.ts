/**
 * The Reflector between two real clusters: "east" is the source, "west"
 * the host. Pods in east have no kubelet; tests set their status, and
 * east's real EndpointSlice controller turns them into endpoints.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Event, Namespace, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { type Cluster, createReadyPod, withClusters } from "../../tests/cluster/mod.ts";
import { adminConfig } from "../../tests/support/client_configs.ts";
import { poll } from "../../tests/support/poll.ts";
import type { ClientConfig } from "../kube/config/client_config.ts";
import { loadKubeconfig } from "../kube/config/kubeconfig.ts";
import { endpointSlices, events as coreEvents, namespaces, services } from "../kube/resource.ts";
import { RestClient } from "../kube/rest.ts";
import { Transport } from "../kube/transport.ts";
import type { Write } from "./applier.ts";
import { Registry } from "prom-client";
import { reflectorMetrics } from "./metrics.ts";
import { Reflector } from "./reflector.ts";

const namespace = "shop";

interface Running {
  registry: Registry;
  writes: Write[];
  unowned: string[];
  /** Keys reconciled at least once, with a "done" or "terminal" outcome. */
  settled: Set<string>;
  stop(): Promise<void>;
}

function startReflector(
  host: Cluster,
  source: ClientConfig,
  options: { createNamespaces?: boolean; onNamespaceMissing?: (key: string) => void } = {},
): Running {
  const transport = new Transport(adminConfig(host));
  const writes: Write[] = [];
  const unowned: string[] = [];
  const settled = new Set<string>();
  const registry = new Registry();
  const metrics = reflectorMetrics(registry);
  const reflector = new Reflector({
    host: new RestClient(transport),
    sources: [{ name: "east", config: source, selector: "export=yes" }],
    createNamespaces: options.createNamespaces ?? true,
    legacyEndpoints: false,
    waitMs: 300,
    ...(options.onNamespaceMissing ? { onNamespaceMissing: options.onNamespaceMissing } : {}),
    onWrite: (write) => {
      writes.push(write);
      metrics.onWrite(write);
    },
    onUnowned: (key) => {
      unowned.push(key);
      metrics.onUnowned(key);
    },
    onAttempt: (attempt) => {
      metrics.onAttempt(attempt);
      if (attempt.outcome.kind === "done" || attempt.outcome.kind === "terminal") {
        settled.add(attempt.key);
      }
    },
  });
  metrics.observe(reflector);
  const controller = new AbortController();
  const running = reflector.run(controller.signal);
  return {
    registry,
    writes,
    unowned,
    settled,
    async stop() {
      controller.abort();
      await running;
      transport.close();
    },
  };
}

/** The mirror of `name` in the host: its Service and its endpoints as `ip:ready`, sorted. */
async function mirror(host: RestClient, name: string) {
  const service = await host.get<Service>(services, name, { namespace }).catch(() => undefined);
  const slices = await host.list<EndpointSlice>(endpointSlices, {
    namespace,
    labelSelector: `kubernetes.io/service-name=${name}`,
  });
  const endpoints = slices.items.flatMap((slice) =>
    slice.endpoints.map((endpoint) =>
      `${endpoint.addresses[0]}:${endpoint.conditions?.ready ?? "?"}`
    )
  ).sort();
  return { service, slices: slices.items, endpoints };
}

async function until(
  host: RestClient,
  name: string,
  endpoints: string[] | undefined,
  description: string,
) {
  return await poll(async () => {
    const state = await mirror(host, name);
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
  await cluster.kubectlWithInput(
    JSON.stringify({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace, labels },
      spec: {
        selector: { app: name },
        ports: ports.map((port) => ({ name: `p${port}`, port, targetPort: port + 8000 })),
      },
    }),
    "apply",
    "-f",
    "-",
  );
}

Deno.test("the Reflector mirrors Services and keeps their endpoints right", async (t) => {
  await withClusters(["east", "west"], async ([east, west]) => {
    if (!east || !west) throw new Error("clusters missing");
    using hostTransport = new Transport(adminConfig(west));
    const host = new RestClient(hostTransport);
    await east.kubectl("create", "namespace", namespace);
    await serviceIn(east, "web", { export: "yes", team: "a" });
    await serviceIn(east, "db", { team: "b" });
    for (const index of [1, 2]) {
      await createReadyPod(east, {
        namespace,
        name: `web-${index}`,
        ips: [`10.1.0.${index}`],
        labels: { app: "web" },
      });
    }
    // The source is reached the way users configure it: through its kubeconfig.
    const { config: eastConfig } = await loadKubeconfig({ path: east.kubeconfig });
    let reflector = startReflector(west, eastConfig);
    try {
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
          (await mirror(host, "db")).service,
          undefined,
          "unselected Services are not mirrored",
        );
      });

      await t.step("scaling, readiness and port changes in the source reach the host", async () => {
        await createReadyPod(east, {
          namespace,
          name: "web-3",
          ips: ["10.1.0.3"],
          labels: { app: "web" },
        });
        await until(
          host,
          "web",
          ["10.1.0.1:true", "10.1.0.2:true", "10.1.0.3:true"],
          "a third endpoint",
        );
        await east.kubectl("delete", "pod", "web-1", "-n", namespace);
        await until(host, "web", ["10.1.0.2:true", "10.1.0.3:true"], "one endpoint fewer");
        await east.kubectlWithInput(
          JSON.stringify({ status: { conditions: [{ type: "Ready", status: "False" }] } }),
          "patch",
          "pod",
          "web-2",
          "-n",
          namespace,
          "--subresource=status",
          "--type=merge",
          "--patch-file=/dev/stdin",
        );
        await until(host, "web", ["10.1.0.2:false", "10.1.0.3:true"], "a readiness flip");
        await serviceIn(east, "web", { export: "yes", team: "a" }, [80, 443]);
        await poll(async () => {
          const state = await mirror(host, "web");
          const ports = state.service?.spec?.ports?.map((port) => port.port).join(",");
          const slicePorts = state.slices.flatMap((slice) =>
            slice.ports?.map((port) => port.port) ?? []
          ).sort().join(",");
          return ports === "80,443" && slicePorts === "8080,8443" ? true : undefined;
        }, { description: "the new port on the mirror and its slices" });
      });

      await t.step(
        "headless, ExternalName, LoadBalancer, dual-stack and large Services keep their shape",
        async () => {
          const apply = (spec: Record<string, unknown>, name: string) =>
            east.kubectlWithInput(
              JSON.stringify({
                apiVersion: "v1",
                kind: "Service",
                metadata: { name, namespace, labels: { export: "yes" } },
                spec,
              }),
              "apply",
              "-f",
              "-",
            );
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

          const stateful = await until(host, "stateful", ["10.2.0.1:true"], "the headless mirror");
          equal(stateful.service?.spec?.clusterIP, "None");
          equal(stateful.slices[0]?.endpoints[0]?.hostname, "stateful-0");
          const external = await poll(
            () => host.get<Service>(services, "external", { namespace }).catch(() => undefined),
            {
              description: "the ExternalName mirror",
            },
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
            const state = await mirror(host, "big");
            return state.endpoints.length === 250 ? state : undefined;
          }, { description: "250 endpoints mirrored", timeoutMs: 60_000 });
          deepStrictEqual(big.slices.map((slice) => slice.endpoints.length).sort((a, b) => a - b), [
            50,
            100,
            100,
          ]);
        },
      );

      await t.step(
        "a mirror left by the original Go reflector is adopted, and NodePort becomes ClusterIP",
        async () => {
          await west.kubectlWithInput(
            JSON.stringify({
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
            }),
            "apply",
            "-f",
            "-",
          );
          await east.kubectlWithInput(
            JSON.stringify({
              apiVersion: "v1",
              kind: "Service",
              metadata: { name: "legacy", namespace, labels: { export: "yes" } },
              spec: {
                type: "NodePort",
                selector: { app: "legacy" },
                ports: [{ name: "http", port: 80 }],
              },
            }),
            "apply",
            "-f",
            "-",
          );
          const adopted = await poll(async () => {
            const service = await host.get<Service>(services, "legacy", { namespace });
            return service.metadata?.labels?.["app.kubernetes.io/managed-by"] ===
                "service-reflector"
              ? service
              : undefined;
          }, { description: "the original's mirror to be adopted" });
          equal(adopted.spec?.type, "ClusterIP");
          deepStrictEqual(
            adopted.spec?.ports?.map((port) => [port.name, port.port, port.nodePort]),
            [["http", 80, undefined]],
          );
          equal(adopted.metadata?.annotations?.["service-reflector.squat.ai/source"], "east");
        },
      );

      await t.step("an unowned same-named host Service is left alone and reported", async () => {
        await west.kubectl(
          "create",
          "service",
          "clusterip",
          "taken",
          "-n",
          namespace,
          "--tcp=1234:1234",
        );
        await serviceIn(east, "taken", { export: "yes" });
        await poll(() => reflector.unowned.includes(`${namespace}/taken`) || undefined, {
          description: "the conflict to be reported",
        });
        const untouched = await host.get<Service>(services, "taken", { namespace });
        deepStrictEqual(untouched.spec?.ports?.map((port) => port.port), [1234]);
        equal(untouched.metadata?.labels?.["app.kubernetes.io/managed-by"], undefined);
        const events = await poll(async () => {
          const list = await host.list<Event>(coreEvents, {
            namespace,
            fieldSelector: "involvedObject.name=taken,reason=NotOwned",
          });
          return list.items.length > 0 ? list.items : undefined;
        }, { description: "a NotOwned Event on the unowned Service" });
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

      await t.step(
        "without namespace creation, a key waits for its namespace and is reported",
        async () => {
          await reflector.stop();
          const missing: string[] = [];
          reflector = startReflector(west, eastConfig, {
            createNamespaces: false,
            onNamespaceMissing: (key) => missing.push(key),
          });
          await east.kubectl("create", "namespace", "fresh");
          await east.kubectl(
            "create",
            "service",
            "clusterip",
            "late-ns",
            "-n",
            "fresh",
            "--tcp=80:80",
          );
          await east.kubectl("label", "service", "late-ns", "-n", "fresh", "export=yes");
          await poll(() => missing.includes("fresh/late-ns") || undefined, {
            description: "the wait to be reported",
          });
          equal(
            await host.get(namespaces, "fresh").catch(() => undefined),
            undefined,
            "the namespace was not created",
          );
          await west.kubectl("create", "namespace", "fresh");
          await poll(
            () =>
              host.get<Service>(services, "late-ns", { namespace: "fresh" }).catch(() => undefined),
            {
              description: "the mirror once the namespace exists",
            },
          );
          await reflector.stop();
          reflector = startReflector(west, eastConfig);
        },
      );

      await t.step("a resync of converged state writes nothing", async () => {
        await reflector.stop();
        reflector = startReflector(west, eastConfig);
        const keys = ["web", "taken", "stateful", "external", "lb", "dual", "big", "legacy"].map((
          name,
        ) => `${namespace}/${name}`);
        await poll(() => keys.every((key) => reflector.settled.has(key)) || undefined, {
          description: "every mirrored key to be reconciled after the restart",
        });
        deepStrictEqual(reflector.writes, []);
      });

      await t.step("deleting or unselecting a source Service removes its mirror", async () => {
        await serviceIn(east, "gone", { export: "yes" });
        await until(host, "gone", [], "gone mirrored");
        await east.kubectl("delete", "service", "gone", "-n", namespace);
        await until(host, "gone", undefined, "the mirror of a deleted Service collected");
        await east.kubectl("label", "service", "web", "-n", namespace, "export-");
        await until(host, "web", undefined, "the mirror of an unselected Service collected");
      });

      await t.step(
        "changes made while the Reflector was down converge after a restart",
        async () => {
          await serviceIn(east, "api", { export: "yes" });
          await until(host, "api", [], "api mirrored");
          await reflector.stop();
          await east.kubectl("delete", "service", "api", "-n", namespace);
          await serviceIn(east, "late", { export: "yes" });
          reflector = startReflector(west, eastConfig);
          await until(host, "api", undefined, "the stale mirror collected after the restart");
          await until(host, "late", [], "the new Service mirrored after the restart");
          ok(
            reflector.writes.some((write) =>
              write.verb === "delete" && write.key === `${namespace}/api`
            ),
          );
        },
      );
    } finally {
      await reflector.stop();
    }
  });
});
