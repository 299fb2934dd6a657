/**
 * Propagation under churn, through each kind of source: the source holds
 * `services` Services with one slice of 3 ready endpoints each in a
 * namespace per path; the command (`--emitter=false`, the compiled
 * binary's flags, `--namespace` of the path) mirrors them into the host,
 * reading the source through its kubeconfig or through an Emitter (the
 * command again, `--reflector=false`, in its own process), one path at a
 * time.
 * Once every mirror is there, `changesPerSecond` endpoint readiness flips
 * are written to the source for `seconds`, on a fixed schedule whatever
 * the answers' delays (an open loop, as a busy cluster's changes come),
 * the Services taken in turn. Each change is timed from just before its
 * PATCH until a watch on the host (in this process) shows it. With
 * `reflectorCmd`, another reflector runs each path too (through this
 * command's Emitter for the `emitter` path), and the runs record both.
 *
 * The yardstick, measured on the same host first: the host
 * apiserver's own write-to-watch latency for the same change at the same
 * rate, written straight to slices of another namespace. A reflector's
 * path holds two such hops (the source's watch, then its write to the
 * host), so 2 is the floor of the ratio, plus what the reflector adds.
 *
 * @module
 */

import { type Cluster, startCluster } from "../cluster/mod.ts";
import { freePorts } from "../cluster/ports.ts";
import { adminConfig } from "../support/client_configs.ts";
import { startCommand } from "../support/command.ts";
import { delay, poll } from "../support/poll.ts";
import { teamServiceList } from "../support/team_services.ts";
import { endpointSlices } from "../../lib/kube/resource.ts";
import { RestClient } from "../../lib/kube/rest.ts";
import { Transport } from "../../lib/kube/transport.ts";
import { type BenchCase, type BenchOutcome, percentile } from "./report.ts";
import { hostWrites, ourName, startReflecting } from "./_reflecting.ts";
import { watchHost } from "./_host_watch.ts";
import { progressLine } from "./_progress.ts";
import { SliceLatencyWatch } from "./_slice_latency.ts";

/** How the reflector reads the source. */
export type ChurnPath = "kubeconfig" | "emitter";

/** Options of {@linkcode benchChurn}. */
export interface ChurnOptions {
  /** Services in the source, at most 250. Defaults to 200. */
  services?: number;
  /** Changes written per second. Defaults to 50. */
  changesPerSecond?: number;
  /** How long changes are written through each path. Defaults to 60. */
  seconds?: number;
  /** How long the host's own latency is measured, before the paths. Defaults to 20. */
  baselineSeconds?: number;
  /** The paths measured, one after the other. Defaults to both. */
  paths?: ChurnPath[];
  /**
   * Another reflector to run beside this one through each path: a shell
   * command to which the original's flags are appended (`--kubeconfig`,
   * `--emitter=false`, `--listen`, `--reflector.source-kubeconfig` or
   * `--reflector.source-api`, `--reflector.selector`, `--namespace`).
   */
  reflectorCmd?: string;
  /** Stops the benchmark (clusters and processes are still torn down). */
  signal?: AbortSignal;
  /** Progress lines. Defaults to stderr. */
  log?: (line: string) => void;
}

/** What one burst of changes measured. */
interface Churned {
  /** Delay of each change that arrived, in ms, in the order written. */
  latencies: number[];
  /** Changes written. */
  changes: number;
  /** Changes never shown on the host within 10 s. */
  lost: number;
}

const baselineNamespace = "baseline";
const team = 1;
const endpointsPerSlice = 3;

/** One implementation through one path. */
export interface ChurnRun {
  /** `service-reflector`, or the other command. */
  implementation: string;
  path: ChurnPath;
  changes: number;
  /** Changes never shown on the host within 10 s. */
  lost: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The host apiserver's own write-to-watch p99, measured first. */
  hostP99Ms: number;
  /** The host apiserver's count of writes (Services, Endpoints, slices) per change. */
  writesPerChange: number;
}

/** What {@linkcode benchChurn} measured: every run, and cases with the samples. */
export interface ChurnOutcome extends BenchOutcome {
  runs: ChurnRun[];
}

/** Runs the benchmark. */
export async function benchChurn(options: ChurnOptions = {}): Promise<ChurnOutcome> {
  const { services = 200, paths = ["kubeconfig", "emitter"], signal } = options;
  if (!(Number.isInteger(services) && services >= 1 && services <= 250)) {
    throw new RangeError(
      `Cannot run the churn benchmark: 'services' must be 1 to 250: ${services}`,
    );
  }
  const log = options.log ?? progressLine;
  const lifetime = signal ? { signal } : {};
  const implementations = [ourName, ...(options.reflectorCmd ? [options.reflectorCmd] : [])];
  const runsOf = paths.flatMap((path) =>
    implementations.map((implementation, index) => ({
      path,
      implementation,
      namespace: `churn-${path}-${index}`,
    }))
  );
  await using source = await startCluster({ name: "churn-source", ...lifetime });
  await using host = await startCluster({ name: "churn-host", ...lifetime });
  for (const { namespace } of runsOf) await seed(source, namespace, services);
  await seed(host, baselineNamespace, services);
  using sourceTransport = new Transport(adminConfig(source));
  using hostTransport = new Transport(adminConfig(host));
  const sourceRest = new RestClient(sourceTransport);
  const hostRest = new RestClient(hostTransport);
  const baseline = await measureBurst(
    new SliceStates(hostRest, baselineNamespace, services),
    hostRest,
    { ...options, seconds: options.baselineSeconds ?? 20 },
  );
  log(`host write to watch, p99 ${percentile(baseline.latencies, 99).toFixed(1)} ms`);
  const cases: BenchCase[] = [
    { name: "host write to watch", unit: "ms", samples: baseline.latencies },
    { name: "host write to watch, p99", unit: "ms", samples: [percentile(baseline.latencies, 99)] },
  ];
  const runs: ChurnRun[] = [];
  for (const { path, implementation, namespace } of runsOf) {
    // Each run reflects a namespace of its own into the one host, one run at a time.
    await using _reflecting = await startReflector({
      path,
      implementation,
      namespace,
      source,
      host,
    });
    await allMirrored(hostRest, namespace, services, signal);
    const writesBefore = await hostWrites(host);
    const churned = await measureBurst(
      new SliceStates(sourceRest, namespace, services),
      hostRest,
      options,
    );
    const writes = await hostWrites(host) - writesBefore;
    const run = churnRun(implementation, path, baseline, churned, writes);
    log(`${implementation}, ${path}: propagation p99 ${run.p99Ms.toFixed(1)} ms`);
    runs.push(run);
    cases.push(...churnCases(run, churned));
  }
  return { cases, runs };
}

function churnRun(
  implementation: string,
  path: ChurnPath,
  baseline: Churned,
  churned: Churned,
  writes: number,
): ChurnRun {
  return {
    implementation,
    path,
    changes: churned.changes,
    lost: churned.lost,
    p50Ms: percentile(churned.latencies, 50),
    p99Ms: percentile(churned.latencies, 99),
    maxMs: percentile(churned.latencies, 100),
    hostP99Ms: percentile(baseline.latencies, 99),
    writesPerChange: writes / churned.changes,
  };
}

/** This command's runs are named by their path alone; another's by the command too. */
function churnCases(run: ChurnRun, churned: Churned): BenchCase[] {
  const prefix = run.implementation === ourName ? run.path : `${run.implementation}, ${run.path}`;
  const name = (what: string) => `${prefix}: ${what}`;
  return [
    { name: name("propagation"), unit: "ms", samples: churned.latencies },
    { name: name("propagation, p99"), unit: "ms", samples: [run.p99Ms] },
    {
      name: name("propagation p99 / host write to watch p99"),
      unit: "ratio",
      samples: [run.p99Ms / run.hostP99Ms],
    },
    { name: name("changes written"), unit: "changes", samples: [run.changes] },
    { name: name("changes not shown on the host"), unit: "changes", samples: [run.lost] },
    { name: name("host writes per change"), unit: "writes", samples: [run.writesPerChange] },
  ];
}

/** Creates `namespace` in `cluster` with `services` Services and their slices. */
async function seed(cluster: Cluster, target: string, services: number): Promise<void> {
  await cluster.kubectl("create", "namespace", target);
  await cluster.kubectlWithInput(
    teamServiceList({ namespace: target, teams: [team], perTeam: services, endpoints: 3 }),
    "apply",
    "-f",
    "-",
  );
}

/** What {@linkcode startReflector} starts. */
interface ReflectorRun {
  path: ChurnPath;
  implementation: string;
  /** The only source namespace reflected (`--namespace`). */
  namespace: string;
  source: Cluster;
  host: Cluster;
}

/**
 * The reflector with the original's flags, and for the `emitter` path an
 * Emitter of the source (this command, `--reflector=false`) that it reads;
 * both stop on dispose.
 */
async function startReflector(run: ReflectorRun): Promise<AsyncDisposable> {
  const { path, implementation, namespace, source, host } = run;
  await using stack = new AsyncDisposableStack();
  let sourceFlag = `--reflector.source-kubeconfig=${source.kubeconfig}`;
  if (path === "emitter") {
    const [port] = freePorts(1) as [number];
    const emitter = stack.use(
      await startCommand([
        `--kubeconfig=${source.kubeconfig}`,
        "--reflector=false",
        "--log-level=warn",
        "--emitter.bind-address=127.0.0.1",
        `--emitter.insecure-port=${port}`,
        "--emitter.secure-port=0",
        "--emitter.selector=export=yes",
        `--namespace=${namespace}`,
      ]),
    );
    await emitter.ready();
    sourceFlag = `--reflector.source-api=http://127.0.0.1:${port}`;
  }
  const [listen] = freePorts(1) as [number];
  stack.use(
    await startReflecting(implementation, [
      `--kubeconfig=${host.kubeconfig}`,
      "--emitter=false",
      `--listen=127.0.0.1:${listen}`,
      sourceFlag,
      "--reflector.selector=export=yes",
      `--namespace=${namespace}`,
    ]),
  );
  const owned = stack.move();
  return { [Symbol.asyncDispose]: () => owned.disposeAsync() };
}

async function allMirrored(
  rest: RestClient,
  namespace: string,
  services: number,
  signal?: AbortSignal,
) {
  await using host = watchHost(rest, namespace);
  await poll(
    () =>
      (host.mirrors().length >= services &&
        host.readyEndpoints() >= services * endpointsPerSlice) || undefined,
    {
      description:
        `${services} mirrors (${host.mirrors().length} seen, ${host.readyEndpoints()} ready endpoints)`,
      timeoutMs: 120_000,
      intervalMs: 50,
      ...(signal ? { signal } : {}),
    },
  );
}

/**
 * Each Service's slice as last written, flipping one endpoint's readiness
 * per change (the endpoints taken in turn), so that consecutive bursts go
 * on from the state the cluster holds.
 */
class SliceStates {
  readonly #ready: boolean[][];
  readonly #flips: number[];

  constructor(readonly rest: RestClient, readonly namespace: string, services: number) {
    this.#ready = Array.from({ length: services }, () => Array(endpointsPerSlice).fill(true));
    this.#flips = Array(services).fill(0);
  }

  get services(): number {
    return this.#ready.length;
  }

  /** Flips the next endpoint of Service `index`; what the change shows and the PATCH to send. */
  flip(index: number): { service: string; ip: string; ready: boolean; send(): Promise<unknown> } {
    const ready = this.#ready[index] as boolean[];
    const which = (this.#flips[index] as number) % endpointsPerSlice;
    this.#flips[index] = (this.#flips[index] as number) + 1;
    ready[which] = !ready[which];
    const service = `t${team}-svc${index}`;
    const endpoints = ready.map((each, host) => ({
      addresses: [address(index, host)],
      conditions: { ready: each },
    }));
    return {
      service,
      ip: address(index, which),
      ready: ready[which] as boolean,
      send: () =>
        this.rest.patch(endpointSlices, `${service}-a`, { endpoints }, {
          namespace: this.namespace,
          patchType: "merge",
        }),
    };
  }
}

/** The address `teamServiceList` gives endpoint `host` of Service `index`. */
function address(index: number, host: number): string {
  return `10.${team}.${index % 250}.${host + 1}`;
}

/**
 * Writes `changesPerSecond` changes to `slices` for `seconds` and times
 * each until a watch through `watchedRest` of the namespace of the same
 * name shows it: the mirrors' in the host, or the slices' own.
 */
async function measureBurst(
  slices: SliceStates,
  watchedRest: RestClient,
  options: ChurnOptions,
): Promise<Churned> {
  const { changesPerSecond = 50, seconds = 60, signal } = options;
  await using watch = new SliceLatencyWatch(watchedRest, slices.namespace);
  // The watch's first list of events is of what is already there.
  await delay(500, signal);
  const total = Math.max(1, Math.round(changesPerSecond * seconds));
  const interval = 1000 / changesPerSecond;
  const started = performance.now();
  const timed: Promise<number | undefined>[] = [];
  for (let change = 0; change < total; change++) {
    const wait = started + change * interval - performance.now();
    if (wait > 0) await delay(wait, signal);
    const flip = slices.flip(change % slices.services);
    const shown = watch.next(flip);
    const sent = performance.now();
    timed.push(
      flip.send().then(() => within(shown, 10_000)).then((at) =>
        at === undefined ? undefined : at - sent
      ),
    );
  }
  const results = await Promise.all(timed);
  const latencies = results.filter((each): each is number => each !== undefined)
    .map((each) => Math.round(each * 100) / 100);
  return { latencies, changes: total, lost: total - latencies.length };
}

/** `promise`'s value, or undefined once `ms` passed first. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
