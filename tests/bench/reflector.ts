/**
 * The Reflector between two real local clusters ("source" and "host"):
 * - initial mirroring: 1,000 exported Services with 3 ready Pods each are
 *   prepared in the source (not timed; the source's EndpointSlice
 *   controller has written every slice first), then a Reflector starts and
 *   the time until the host holds every mirror Service and every ready
 *   endpoint is measured (lists every 200 ms), with the host writes that
 *   took;
 * - propagation delay: one Pod's Ready condition is flipped in the source,
 *   and the time from just before that status PATCH until a watch on the
 *   host's mirror slices shows the new `ready` value is measured, 30 times
 *   one after the other, with the host writes per change;
 * - resident memory (RSS) of this process at the end, which holds the
 *   Reflector's caches (and the benchmark's own clients).
 *
 * The Reflector, the benchmark's writers and pollers share this process;
 * both control planes share the machine with it.
 *
 * @module
 */

import type { Pod, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { type Cluster, startCluster } from "../cluster/mod.ts";
import { adminConfig } from "../support/client_configs.ts";
import { delay, poll } from "../support/poll.ts";
import { startReflector } from "../support/reflector_harness.ts";
import { untilServerQuiet } from "../support/server_quiet.ts";
import { cannot } from "../../lib/cannot.ts";
import type { Write } from "../../lib/reflector/applier.ts";
import { endpointSlices, namespaces, pods, services } from "../../lib/kube/resource.ts";
import { RestClient } from "../../lib/kube/rest.ts";
import { Transport } from "../../lib/kube/transport.ts";
import {
  endpointSliceControllerName,
  endpointSliceManagedByLabel,
  managedByLabel,
  managedByValue,
} from "../../lib/ownership.ts";
import { type BenchCase, percentile } from "./report.ts";
import { SliceLatencyWatch } from "./_slice_latency.ts";

/** Options of {@linkcode benchReflector}. */
export interface ReflectorBenchOptions {
  /** Exported Services in the source. Defaults to 1000. */
  services?: number;
  /** Ready Pods (endpoints) per Service. Defaults to 3. */
  podsPerService?: number;
  /** Readiness flips whose propagation is timed. Defaults to 30. */
  changes?: number;
  /** Concurrent writers while preparing the source. Defaults to 16. */
  writers?: number;
  /** Stops the benchmark (clusters and Reflector are still torn down). */
  signal?: AbortSignal;
  /** Progress lines. Defaults to stderr. */
  log?: (line: string) => void;
}

const namespace = "bench";
const hostServiceSelector = `${managedByLabel}=${managedByValue}`;
const hostSliceSelector = `${endpointSliceManagedByLabel}=${endpointSliceControllerName}`;

function serviceName(index: number): string {
  return `svc-${index}`;
}

/** The IP of Pod `pod` (0-based) of Service `index`: 10.(index/250).(index%250).(pod+1). */
function podIp(index: number, pod: number): string {
  return `10.${Math.floor(index / 250)}.${index % 250}.${pod + 1}`;
}

/** RSS and V8 heap in use after two full collections (when gc() is exposed). */
function memoryAfterGc(): { rss: number; heapUsed: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const { rss, heapUsed } = Deno.memoryUsage();
  return { rss, heapUsed };
}

function readyEndpoints(slices: EndpointSlice[]): number {
  return slices.reduce(
    (sum, slice) =>
      sum +
      (slice.endpoints ?? []).filter((endpoint) => endpoint.conditions?.ready === true).length,
    0,
  );
}

/** `promise`, or the error of `timeout()` once `ms` passed first. */
async function withTimeout<T>(promise: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timeout()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function startBoth(signal: AbortSignal | undefined): Promise<[Cluster, Cluster]> {
  const results = await Promise.allSettled(
    ["bench-source", "bench-host"].map((name) =>
      startCluster({ name, ...(signal ? { signal } : {}) })
    ),
  );
  const started = results.flatMap((result) => result.status === "fulfilled" ? [result.value] : []);
  const failures = results.flatMap((result) => result.status === "rejected" ? [result.reason] : []);
  if (failures.length > 0) {
    await Promise.all(started.map((cluster) => cluster.stop()));
    throw new AggregateError(failures, `Cannot start ${failures.length} of 2 clusters`);
  }
  return started as [Cluster, Cluster];
}

/**
 * Writes per second `rest` gets from its apiserver creating `count`
 * Services and as many EndpointSlices of 3 endpoints (what a mirror is),
 * `writers` at a time, in a namespace of their own.
 */
async function writeCeiling(
  rest: RestClient,
  count: number,
  writers: number,
  signal: AbortSignal | undefined,
): Promise<number> {
  const target = "ceiling";
  await rest.create(namespaces, { metadata: { name: target } });
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: writers }, async () => {
    while (next < count) {
      signal?.throwIfAborted();
      const index = next++;
      const name = serviceName(index);
      await rest.create<Service>(services, {
        metadata: { name, namespace: target },
        spec: { ports: [{ name: "http", port: 80 }] },
      });
      await rest.create<EndpointSlice>(endpointSlices, {
        metadata: { name, namespace: target, labels: { "kubernetes.io/service-name": name } },
        addressType: "IPv4",
        endpoints: [0, 1, 2].map((pod) => ({
          addresses: [podIp(index, pod)],
          conditions: { ready: true },
        })),
        ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      });
    }
  }));
  return (2 * count) / ((performance.now() - started) / 1000);
}

/** Creates the Services and their ready Pods in the source, `writers` at a time. */
async function prepareSource(
  cluster: Cluster,
  rest: RestClient,
  count: number,
  podsPerService: number,
  writers: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  await rest.create(namespaces, { metadata: { name: namespace } });
  // The ServiceAccount admission plugin rejects Pods until the namespace's
  // default ServiceAccount exists.
  await poll(async () => {
    const response = await cluster.fetch(`/api/v1/namespaces/${namespace}/serviceaccounts/default`);
    await response.body?.cancel();
    return response.ok ? true : undefined;
  }, { description: `ServiceAccount ${namespace}/default`, ...(signal ? { signal } : {}) });
  let next = 0;
  await Promise.all(Array.from({ length: writers }, async () => {
    while (next < count * (podsPerService + 1)) {
      signal?.throwIfAborted();
      const job = next++;
      const index = Math.floor(job / (podsPerService + 1));
      const pod = job % (podsPerService + 1) - 1;
      const name = serviceName(index);
      if (pod < 0) {
        await rest.create<Service>(services, {
          metadata: { name, namespace, labels: { export: "yes" } },
          spec: {
            selector: { app: name },
            ports: [{ name: "http", port: 80, targetPort: 8080 }],
          },
        });
        continue;
      }
      const podName = `${name}-${pod}`;
      await rest.create<Pod>(pods, {
        metadata: { name: podName, namespace, labels: { app: name } },
        spec: {
          nodeName: "node-1",
          terminationGracePeriodSeconds: 0,
          containers: [{ name: "app", image: "registry.invalid/app:1" }],
        },
      });
      const now = new Date().toISOString();
      const ip = podIp(index, pod);
      await rest.patch<Pod>(pods, podName, {
        status: {
          phase: "Running",
          conditions: [{ type: "Ready", status: "True", lastTransitionTime: now }],
          podIP: ip,
          podIPs: [{ ip }],
          hostIP: "192.0.2.1",
          startTime: now,
        },
      }, { namespace, patchType: "merge", subresource: "status" });
    }
  }));
}

/** Runs the Reflector benchmark on two fresh clusters. */
export async function benchReflector(options: ReflectorBenchOptions = {}): Promise<BenchCase[]> {
  const {
    services: count = 1000,
    podsPerService = 3,
    changes = 30,
    writers = 16,
    signal,
    // deno-lint-ignore no-console
    log = (line: string) => console.error(`[bench reflector] ${line}`),
  } = options;
  if (!(Number.isInteger(count) && count >= 1 && count <= 250 * 256)) {
    throw new RangeError(
      cannot("run the Reflector benchmark", "'services' must be an integer from 1 to 64000", count),
    );
  }
  if (!(Number.isInteger(podsPerService) && podsPerService >= 1 && podsPerService <= 254)) {
    throw new RangeError(
      cannot(
        "run the Reflector benchmark",
        "'podsPerService' must be an integer from 1 to 254",
        podsPerService,
      ),
    );
  }
  const endpointCount = count * podsPerService;
  const signalOption = signal ? { signal } : {};

  const began = performance.now();
  const [sourceCluster, hostCluster] = await startBoth(signal);
  await using source = sourceCluster;
  await using host = hostCluster;
  log(`clusters started in ${((performance.now() - began) / 1000).toFixed(1)} s`);
  using sourceTransport = new Transport(adminConfig(source));
  using hostTransport = new Transport(adminConfig(host));
  const sourceRest = new RestClient(sourceTransport);
  const hostRest = new RestClient(hostTransport);

  // Source preparation, not timed.
  const preparing = performance.now();
  await prepareSource(source, sourceRest, count, podsPerService, writers, signal);
  log(
    `created ${count} Services and ${endpointCount} ready Pods in ${
      ((performance.now() - preparing) / 1000).toFixed(1)
    } s`,
  );
  await poll(async () => {
    const slices = await sourceRest.list<EndpointSlice>(endpointSlices, { namespace });
    const served = new Set(
      slices.items.map((slice) => slice.metadata?.labels?.["kubernetes.io/service-name"]),
    );
    return served.size === count && readyEndpoints(slices.items) === endpointCount
      ? true
      : undefined;
  }, {
    description: `${endpointCount} ready endpoints in the source's slices`,
    intervalMs: 500,
    timeoutMs: 900_000,
    ...signalOption,
  });
  log(
    `source slices complete ${((performance.now() - preparing) / 1000).toFixed(1)} s after ` +
      "preparation began",
  );

  const before = memoryAfterGc();
  const started = performance.now();
  const reflector = startReflector({
    host,
    sources: [{ name: "source", config: adminConfig(source), selector: "export=yes" }],
    // The production default, as the command runs.
    waitMs: 5_000,
  });
  // Its failure, if any, is thrown by the stop() in `finally`.
  const stopReflector = () => reflector.stop().catch(() => {});
  signal?.addEventListener("abort", stopReflector, { once: true });
  let watch: SliceLatencyWatch | undefined;
  try {
    // 1. Initial mirroring. A slice cannot exist before its Service (it is
    // owned by it), so slices are only listed once every Service is there.
    let servicesAt: number | undefined;
    await poll(async () => {
      if (servicesAt === undefined) {
        const mirrors = await hostRest.list<Service>(services, {
          namespace,
          labelSelector: hostServiceSelector,
        });
        if (mirrors.items.length < count) return undefined;
        servicesAt = performance.now();
      }
      const slices = await hostRest.list<EndpointSlice>(endpointSlices, {
        namespace,
        labelSelector: hostSliceSelector,
      });
      return readyEndpoints(slices.items) === endpointCount ? true : undefined;
    }, {
      description: `${count} mirror Services and ${endpointCount} ready endpoints in the host`,
      intervalMs: 200,
      timeoutMs: 900_000,
      ...signalOption,
    });
    const mirrorSeconds = (performance.now() - started) / 1000;
    const servicesSeconds = ((servicesAt ?? performance.now()) - started) / 1000;
    const initialWrites = reflector.writes.length;
    log(
      `mirrored in ${mirrorSeconds.toFixed(1)} s (Services complete at ${
        servicesSeconds.toFixed(1)
      } s), ${initialWrites} host writes: ${writeCounts(reflector.writes)}`,
    );
    // Let any trailing reconcile finish so its writes are not counted as a change's: the
    // host received none of the Reflector's writes for two seconds.
    const { userAgent } = reflector;
    if (userAgent === undefined) throw new Error("Cannot tell the Reflector's writes apart");
    await untilServerQuiet(host, {
      description: "the Reflector",
      userAgent,
      forMs: 2_000,
      timeoutMs: 60_000,
      ...signalOption,
    });

    // 2. Propagation delay of readiness flips.
    const listed = await hostRest.list<EndpointSlice>(endpointSlices, {
      namespace,
      labelSelector: hostSliceSelector,
      limit: 1,
    });
    watch = new SliceLatencyWatch(hostRest, namespace, listed.resourceVersion);
    // The watch opens asynchronously; give it a moment before the first change.
    await delay(500, signal);
    const ready = new Map<string, boolean>();
    const delays: number[] = [];
    const writesBefore = reflector.writes.length;
    for (let change = 0; change < changes; change++) {
      const index = Math.floor((change * count) / changes) % count;
      const pod = change % podsPerService;
      const name = serviceName(index);
      const podName = `${name}-${pod}`;
      const value = !(ready.get(podName) ?? true);
      ready.set(podName, value);
      const seen = watch.next({ service: name, ip: podIp(index, pod), ready: value });
      const sent = performance.now();
      await sourceRest.patch<Pod>(pods, podName, {
        status: {
          conditions: [{
            type: "Ready",
            status: value ? "True" : "False",
            lastTransitionTime: new Date().toISOString(),
          }],
        },
      }, { namespace, patchType: "merge", subresource: "status" });
      const at = await withTimeout(seen, 30_000, () =>
        new Error(
          `Timed out after 30000 ms waiting for change ${change} (${podName} ready=${value}) in the host; watch errors: ${
            watch?.errors.join("; ") || "none"
          }`,
        ));
      // Only another wait on the same Service resolves a wait without a time; there is none.
      delays.push((at as number) - sent);
    }
    await delay(1_000, signal);
    const changeWrites = reflector.writes.length - writesBefore;
    log(
      `${changes} changes: ${changeWrites} host writes; delays ${
        delays.map((ms) => ms.toFixed(0)).join(" ")
      } ms`,
    );
    await watch[Symbol.asyncDispose]();
    const watchErrors = watch.errors;
    watch = undefined;

    // 3. Memory, with the Reflector still running and its caches full.
    const end = memoryAfterGc();

    // 4. The host apiserver's own write ceiling for the same objects through the same client:
    // a Service and a slice per key, 16 writers, in a namespace of its own, with the Reflector
    // stopped so that nothing else in this process competes (its failure is thrown below).
    await stopReflector();
    const ceiling = await writeCeiling(hostRest, count, 16, signal);
    const writeRate = initialWrites / mirrorSeconds;
    log(
      `host write ceiling ${ceiling.toFixed(0)} writes/s; the Reflector's ${
        writeRate.toFixed(0)
      }/s`,
    );

    const failures = (kind: string) =>
      reflector.failures.filter((attempt) => attempt.outcome.kind === kind).map((attempt) =>
        `${attempt.key}: ${"error" in attempt.outcome ? message(attempt.outcome.error) : ""}`
      );
    const retries = failures("retry");
    const terminals = failures("terminal");
    const informerErrors = reflector.informerErrors.map(({ cluster, phase, error }) =>
      `${cluster} ${phase}: ${message(error)}`
    );
    for (
      const [label, lines] of [
        ["reconcile retries", retries],
        ["terminal reconcile errors", terminals],
        ["informer errors", informerErrors],
        ["unowned Services", reflector.unowned],
        ["host watch errors", watchErrors],
      ] as const
    ) {
      if (lines.length === 0) continue;
      const distinct = new Map<string, number>();
      for (const line of lines) {
        // Group by message without the key, so 40 identical conflicts read as one line.
        const message = line.replace(/^[^:]*: /, "");
        distinct.set(message, (distinct.get(message) ?? 0) + 1);
      }
      log(`${label}: ${lines.length}`);
      for (const [message, n] of [...distinct].slice(0, 5)) log(`  ${n}x ${message}`);
    }

    const sorted = [...delays].sort((a, b) => a - b);
    const endpointsLabel = `${count} Services x ${podsPerService} endpoints`;
    return [
      { name: `time to mirror ${endpointsLabel} from start`, unit: "s", samples: [mirrorSeconds] },
      {
        name: `time to all ${count} mirror Services from start`,
        unit: "s",
        samples: [servicesSeconds],
      },
      {
        name: `mirroring throughput (${endpointsLabel})`,
        unit: "Services/s",
        samples: [count / mirrorSeconds],
      },
      { name: "host writes, initial mirroring (total)", unit: "writes", samples: [initialWrites] },
      {
        name: "host apiserver write ceiling (a Service and a slice per key, 16 writers)",
        unit: "writes/s",
        samples: [ceiling],
      },
      {
        name: "initial-sync write rate / that ceiling",
        unit: "ratio",
        samples: [writeRate / ceiling],
      },
      {
        name: "host writes per Service (initial mirroring)",
        unit: "writes",
        samples: [initialWrites / count],
      },
      {
        name: "host writes after convergence was seen, before changes",
        unit: "writes",
        samples: [writesBefore - initialWrites],
      },
      { name: "readiness flip to host slice, p50", unit: "ms", samples: [percentile(sorted, 50)] },
      { name: "readiness flip to host slice, p99", unit: "ms", samples: [percentile(sorted, 99)] },
      { name: "readiness flip to host slice, max", unit: "ms", samples: [percentile(sorted, 100)] },
      { name: "readiness flip to host slice, all", unit: "ms", samples: delays },
      {
        name: `host writes per change (${changes} changes)`,
        unit: "writes",
        samples: [changeWrites / changes],
      },
      {
        name: "reconcile errors (retry + terminal)",
        unit: "count",
        samples: [retries.length + terminals.length],
      },
      { name: "informer errors", unit: "count", samples: [informerErrors.length] },
      { name: "process RSS before the Reflector", unit: "MiB", samples: [before.rss / 2 ** 20] },
      {
        name: `process RSS at the end (Reflector running, ${count} mirrored)`,
        unit: "MiB",
        samples: [end.rss / 2 ** 20],
      },
      {
        name: "V8 heap used before the Reflector",
        unit: "MiB",
        samples: [before.heapUsed / 2 ** 20],
      },
      {
        name: `V8 heap used at the end (Reflector running, ${count} mirrored)`,
        unit: "MiB",
        samples: [end.heapUsed / 2 ** 20],
      },
    ];
  } finally {
    await watch?.[Symbol.asyncDispose]();
    signal?.removeEventListener("abort", stopReflector);
    await reflector.stop();
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `create services 1000, ...`: the writes by verb and resource, in first-seen order. */
function writeCounts(writes: readonly Write[]): string {
  const byKind = new Map<string, number>();
  for (const write of writes) {
    const kind = `${write.verb} ${write.resource}`;
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  }
  return [...byKind].map(([kind, n]) => `${kind} ${n}`).join(", ");
}
