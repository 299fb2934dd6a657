/**
 * Initial sync at several sizes, for this command and, side by side, any
 * other reflector binary taking the original's flags: one source cluster
 * holds the largest size's Services (3 ready endpoints each, one slice per
 * Service), labelled so that each size is one selector; each run starts the
 * reflector (`--emitter=false`) against a fresh host and measures, until
 * every mirror Service and all its endpoints are in the host:
 * - `seconds` from start,
 * - `peakRssMiB` (VmHWM) and `rssAfterMiB` (2 s after), from `/proc`,
 * - `writes`: the host apiserver's own count of creates, updates, patches
 *   and deletes of Services, Endpoints, EndpointSlices and Namespaces, from
 *   every client (so a reflector writing core Endpoints is also charged the
 *   slices the host's mirroring controller makes of them),
 * - `cpuSeconds` of the reflector's process, and of the host's control
 *   plane until the last mirror (`hostControlPlaneCpuSeconds`).
 *
 * Besides its cases, it returns the `runs`, one per implementation and
 * size, which `bench/results/initial_sync.json` keeps whole.
 *
 * @module
 */

import { type Cluster, startCluster } from "../cluster/mod.ts";
import { freePorts } from "../cluster/ports.ts";
import { adminConfig } from "../support/client_configs.ts";
import { delay, poll } from "../support/poll.ts";
import { RestClient } from "../../lib/kube/rest.ts";
import { Transport } from "../../lib/kube/transport.ts";
import type { BenchOutcome } from "./report.ts";
import { cpuSeconds, cpuSecondsOfProcessesNaming, residentBytes } from "./_process_stats.ts";
import { watchHost } from "./_host_watch.ts";
import { progressLine } from "./_progress.ts";
import { hostWrites, ourName, startReflecting } from "./_reflecting.ts";

/** Options of {@linkcode benchInitialSync}. */
export interface InitialSyncOptions {
  /** The sizes, in Services. Defaults to 1,000, 2,000 and 5,000. */
  sizes?: number[];
  /**
   * Another reflector to run beside this one: a shell command to which the
   * original's flags are appended (`--kubeconfig`, `--emitter=false`,
   * `--listen`, `--reflector.source-kubeconfig`, `--reflector.selector`).
   */
  reflectorCmd?: string;
  /** Stops the benchmark (clusters and processes are still torn down). */
  signal?: AbortSignal;
  /** Progress lines. Defaults to stderr. */
  log?: (line: string) => void;
}

/** One run: one implementation at one size. */
export interface InitialSyncRun {
  /** `service-reflector`, or the other command. */
  implementation: string;
  services: number;
  seconds: number;
  peakRssMiB: number;
  rssAfterMiB: number;
  writes: number;
  cpuSeconds: number;
  /** CPU seconds of the host's etcd, kube-apiserver and controller-manager during the run. */
  hostControlPlaneCpuSeconds: number;
  /**
   * `service_reflector_reconcile_errors_total` at the end (the original
   * has the same counter); undefined when the process serves none.
   */
  reconcileErrors?: number;
}

const namespace = "sync";
/** What {@linkcode benchInitialSync} measured: every run, and the same figures as cases. */
export interface InitialSyncOutcome extends BenchOutcome {
  runs: InitialSyncRun[];
}

/** Runs the benchmark. */
export async function benchInitialSync(
  options: InitialSyncOptions = {},
): Promise<InitialSyncOutcome> {
  const { sizes = [1000, 2000, 5000], signal } = options;
  const log = options.log ?? progressLine;
  const lifetime = signal ? { signal } : {};
  await using source = await startCluster({ name: "sync-source", ...lifetime });
  await prepare(source, sizes, log);
  const implementations = [ourName, ...(options.reflectorCmd ? [options.reflectorCmd] : [])];
  const runs: InitialSyncRun[] = [];
  for (const size of sizes) {
    for (const implementation of implementations) {
      await using host = await startCluster({ name: `sync-host-${size}`, ...lifetime });
      const run = await measure(source, host, size, implementation, lifetime);
      runs.push(run);
      log(`${implementation} at ${size}: ${JSON.stringify(run)}`);
    }
  }
  const cases = runs.flatMap((run) => {
    const name = (what: string) => `${run.implementation}, ${run.services} Services: ${what}`;
    return [
      { name: name("start to every mirror"), unit: "s", samples: [run.seconds] },
      { name: name("peak RSS"), unit: "MiB", samples: [run.peakRssMiB] },
      { name: name("RSS after"), unit: "MiB", samples: [run.rssAfterMiB] },
      { name: name("host writes"), unit: "writes", samples: [run.writes] },
      { name: name("CPU"), unit: "s", samples: [run.cpuSeconds] },
    ];
  });
  return { cases, runs };
}

/** The largest size's Services, each labelled `in-<size>=yes` for every size it is within. */
async function prepare(source: Cluster, sizes: number[], log: (line: string) => void) {
  await source.kubectl("create", "namespace", namespace);
  const largest = Math.max(...sizes);
  const started = performance.now();
  for (let first = 0; first < largest; first += 250) {
    const items = Array.from({ length: Math.min(250, largest - first) }, (_, offset) => {
      const index = first + offset;
      const name = `svc-${index}`;
      const labels = Object.fromEntries(
        sizes.filter((size) => index < size).map((size) => [`in-${size}`, "yes"]),
      );
      const ports = [{ name: "http", port: 80, protocol: "TCP" }];
      return [{
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace, labels },
        spec: { ports },
      }, {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: { name: `${name}-a`, namespace, labels: { "kubernetes.io/service-name": name } },
        addressType: "IPv4",
        endpoints: [1, 2, 3].map((host) => ({
          addresses: [`10.${Math.floor(index / 250)}.${index % 250}.${host}`],
          conditions: { ready: true },
        })),
        ports,
      }];
    }).flat();
    await source.kubectlWithInput(
      JSON.stringify({ apiVersion: "v1", kind: "List", items }),
      "apply",
      "-f",
      "-",
    );
  }
  log(`${largest} source Services in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function measure(
  source: Cluster,
  host: Cluster,
  size: number,
  implementation: string,
  lifetime: { signal?: AbortSignal },
): Promise<InitialSyncRun> {
  using transport = new Transport(adminConfig(host));
  const rest = new RestClient(transport);
  const writesBefore = await hostWrites(host);
  const hostCpuBefore = await cpuSecondsOfProcessesNaming(host.dir);
  const started = performance.now();
  const [listen] = freePorts(1) as [number];
  const flags = [
    `--kubeconfig=${host.kubeconfig}`,
    "--emitter=false",
    `--listen=127.0.0.1:${listen}`,
    `--reflector.source-kubeconfig=${source.kubeconfig}`,
    `--reflector.selector=in-${size}=yes`,
  ];
  await using watched = watchHost(rest, namespace);
  await using reflecting = await startReflecting(implementation, flags);
  await poll(() => watched.readyEndpoints() >= 3 * size || undefined, {
    description: `${size} mirrors with ${3 * size} endpoints`,
    timeoutMs: 1_800_000,
    intervalMs: 200,
    ...lifetime,
  });
  const seconds = (performance.now() - started) / 1000;
  const hostControlPlaneCpuSeconds = await cpuSecondsOfProcessesNaming(host.dir) - hostCpuBefore;
  await delay(2_000, lifetime.signal);
  return {
    implementation,
    services: size,
    seconds,
    peakRssMiB: await residentBytes(reflecting.pid, "VmHWM") / 2 ** 20,
    rssAfterMiB: await residentBytes(reflecting.pid, "VmRSS") / 2 ** 20,
    writes: (await hostWrites(host)) - writesBefore,
    cpuSeconds: await cpuSeconds(reflecting.pid),
    hostControlPlaneCpuSeconds,
    ...await reconcileErrors(listen),
  };
}

/** The reconcile errors the reflector listening on `port` counted, if it serves them. */
async function reconcileErrors(port: number): Promise<{ reconcileErrors?: number }> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
  const text = response?.ok ? await response.text() : "";
  if (!response?.ok) await response?.body?.cancel();
  const line = text.split("\n").find((each) =>
    each.startsWith("service_reflector_reconcile_errors_total ")
  );
  return line === undefined ? {} : { reconcileErrors: Number(line.split(" ")[1]) };
}
