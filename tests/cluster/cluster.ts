/**
 * A real, local Kubernetes control plane for tests, in the spirit of
 * controller-runtime's envtest: embedded etcd, kube-apiserver and
 * kube-controller-manager, each its own process, on free loopback ports in a
 * temporary directory.
 *
 * What runs:
 * - kube-apiserver with client-certificate and static-token authentication,
 *   RBAC authorization, ServiceAccount token signing (the TokenRequest API
 *   works), dual-stack Service ranges, no endpoint reconciler, and an audit
 *   log of every write request ({@linkcode Cluster.auditLogPath}).
 * - kube-controller-manager with the namespace, endpoints, endpointslice,
 *   endpointslice-mirroring, garbage-collector and serviceaccount controllers,
 *   without leader election.
 * - no kubelet and no scheduler: one Node object ({@linkcode testNodeName})
 *   exists so that Pods bound to it and given a Ready status by a test become
 *   endpoints through the real EndpointSlice controller.
 *
 * Invariants: {@linkcode startCluster} either returns a ready cluster or
 * leaves no process and no directory behind; {@linkcode Cluster.stop} is
 * idempotent and always removes every process and the directory.
 *
 * @module
 */

import { clusterBinary } from "./binary.ts";
import { Component, waitForComponent } from "./component.ts";
import { DataPlane, type NameServer } from "./data_plane.ts";
import { renderKubeconfig } from "./kubeconfig.ts";
import { freePorts } from "./ports.ts";
import { installMcsCrds } from "./mcs.ts";

/** Name of the Node object every test cluster has. */
export const testNodeName = "node-1";
/** Zone label of {@linkcode testNodeName}. */
export const testNodeZone = "zone-a";
/** IPv4 and IPv6 Service ranges of every test cluster. */
export const serviceCidrs = ["10.96.0.0/16", "fd00:10:96::/112"] as const;

/** Options of {@linkcode startCluster}. */
export interface StartClusterOptions {
  /** Cluster name: lower-case letters, digits and dashes. Names the context and temp dir. */
  name: string;
  /** Aborting it fails a pending start and stops a started cluster. */
  signal?: AbortSignal;
  /**
   * Keep kube-apiserver's watch cache (the production default). Without it
   * every watch is served by etcd, so a compaction makes older
   * resourceVersions 410 Gone at once. Defaults to true.
   */
  watchCache?: boolean;
  /** Bound on each start-up wait. Defaults to 120 000 ms. */
  startTimeoutMs?: number;
  /**
   * Also run the cluster's data plane, CoreDNS and kube-proxy (see
   * `data_plane.ts`); the process must run in a private network namespace.
   * At most one cluster at a time has it. Defaults to false.
   */
  dataPlane?: boolean;
  /**
   * Serve the Multi-Cluster Services API: its CRDs are installed once the
   * control plane is up, and the data plane's CoreDNS (with `dataPlane`)
   * answers `clusterset.local` from ServiceImports. Defaults to false.
   */
  mcs?: boolean;
  /**
   * Another local address kube-apiserver serves on, besides 127.0.0.1, and
   * that its serving certificate covers: for a test that puts it on `lo`
   * and drops its packets (`packet_drop.ts`), cutting off the clients that
   * use it while admin requests go on through 127.0.0.1.
   */
  alsoServedAt?: string;
}

/** Client credentials in PEM, for `Deno.createHttpClient`. */
export interface ClientCertificate {
  /** Certificate chain in PEM. */
  cert: string;
  /** Private key in PEM (PKCS#8). */
  key: string;
}

/** A running test control plane. */
export interface Cluster extends AsyncDisposable {
  /** The name given to {@linkcode startCluster}. */
  readonly name: string;
  /** Temporary directory holding PKI, kubeconfigs, etcd data and logs. */
  readonly dir: string;
  /** kube-apiserver URL, e.g. `https://127.0.0.1:41234`. */
  readonly server: string;
  /** Path of a kubeconfig for a cluster admin (group `system:masters`). */
  readonly kubeconfig: string;
  /** PEM of the CA that signs the server and client certificates. */
  readonly ca: string;
  /** Path of the CA file. */
  readonly caPath: string;
  /** Admin client certificate and key. */
  readonly admin: ClientCertificate;
  /** A static bearer token of an admin user (group `system:masters`). */
  readonly token: string;
  /** etcd client URL. */
  readonly etcdEndpoint: string;
  /**
   * kube-apiserver's audit log: one JSON line (audit.k8s.io/v1 Event, level
   * Metadata, stage ResponseComplete) per write request (create, update,
   * patch, delete, deletecollection), whatever its outcome, and nothing
   * else (access and token reviews are not writes). It is written in
   * blocking mode, so a request's line is in the file before its response
   * ends; restarts of kube-apiserver append to it. Read it through
   * `tests/support/server_writes.ts`.
   */
  readonly auditLogPath: string;
  /** Where the cluster's CoreDNS answers; undefined without `dataPlane`. */
  readonly nameServer: NameServer | undefined;
  /** Runs kubectl as admin and returns its stdout; throws {@linkcode KubectlError} on failure. */
  kubectl(...args: string[]): Promise<string>;
  /** Like {@linkcode Cluster.kubectl}, with `input` on stdin (e.g. for `apply -f -`). */
  kubectlWithInput(input: string, ...args: string[]): Promise<string>;
  /** `fetch` against the apiserver as admin; `path` is resolved against {@linkcode Cluster.server}. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Compacts etcd at its current revision and returns that revision. */
  compact(): Promise<number>;
  /**
   * Stops kube-apiserver (SIGTERM, then SIGKILL after 3 s if watches are
   * still open); etcd and its data stay.
   */
  stopApiserver(): Promise<void>;
  /** Starts kube-apiserver again on the same port and waits until it is ready. */
  startApiserver(): Promise<void>;
  /** The last `lines` lines of every component's log, with headers. */
  logTails(lines?: number): Promise<string>;
  /** Stops every process and removes the directory. */
  stop(): Promise<void>;
}

/** kubectl exited non-zero. */
export class KubectlError extends Error {
  /** kubectl's exit code. */
  readonly code: number;
  /** kubectl's stderr. */
  readonly stderr: string;

  constructor(args: string[], code: number, stderr: string) {
    super(`kubectl ${args.join(" ")} exited with code ${code}: ${stderr.trim()}`);
    this.name = "KubectlError";
    this.code = code;
    this.stderr = stderr;
  }
}

const namePattern = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;
/**
 * The writes, at Metadata level (who, what, outcome; no bodies), each once:
 * when it completed. Reviews (access, token, self) are created but stored
 * nowhere, so they are questions, not writes.
 */
const auditPolicy = {
  apiVersion: "audit.k8s.io/v1",
  kind: "Policy",
  omitStages: ["RequestReceived"],
  rules: [
    {
      level: "None",
      resources: [{ group: "authorization.k8s.io" }, { group: "authentication.k8s.io" }],
    },
    { level: "Metadata", verbs: ["create", "update", "patch", "delete", "deletecollection"] },
    { level: "None" },
  ],
};
/**
 * Past this size kube-apiserver would rotate the audit log, which its
 * readers refuse (see `server_writes.ts`); a line is under 2 KiB, so this
 * is millions of writes.
 */
const auditLogMaxMegabytes = 4_096;
const kubectlTimeoutMs = 60_000;
const controllers = [
  "namespace-controller",
  "endpoints-controller",
  "endpointslice-controller",
  "endpointslice-mirroring-controller",
  "garbage-collector-controller",
  "serviceaccount-controller",
];

/**
 * Starts a control plane and waits until it serves requests and its
 * controllers run (the `default` ServiceAccount exists).
 *
 * @example Usage
 * ```ts ignore
 * await using cluster = await startCluster({ name: "east" });
 * await cluster.kubectl("create", "namespace", "demo");
 * ```
 */
export async function startCluster(options: StartClusterOptions): Promise<Cluster> {
  if (!namePattern.test(options.name)) {
    throw new TypeError(
      `Cannot start cluster as 'name' must be lower-case letters, digits and dashes (at most 32): current value is "${options.name}"`,
    );
  }
  options.signal?.throwIfAborted();
  const binary = await clusterBinary();
  // A component whose port another process took between its choice and its
  // bind (see `ports.ts`) starts again on other ports, at most twice more.
  for (let attempt = 1;; attempt++) {
    const dir = await Deno.makeTempDir({ prefix: `service-reflector-${options.name}-` });
    let cluster: LocalCluster;
    try {
      cluster = new LocalCluster(binary, dir, options);
    } catch (error) {
      await Deno.remove(dir, { recursive: true });
      throw error;
    }
    try {
      await cluster.start();
      return cluster;
    } catch (error) {
      const tails = await cluster.logTails();
      await cluster.stop();
      if (attempt < 3 && !options.signal?.aborted && tails.includes("address already in use")) {
        continue;
      }
      throw new Error(`Cannot start cluster "${options.name}"; component logs:\n${tails}`, {
        cause: error,
      });
    }
  }
}

class LocalCluster implements Cluster {
  readonly name: string;
  readonly dir: string;
  readonly server: string;
  readonly kubeconfig: string;
  readonly caPath: string;
  readonly etcdEndpoint: string;
  readonly auditLogPath: string;
  readonly token: string;
  ca = "";
  admin: ClientCertificate = { cert: "", key: "" };

  readonly #binary: string;
  readonly #options: StartClusterOptions;
  readonly #etcd: Component;
  readonly #apiserver: Component;
  readonly #controllerManager: Component;
  readonly #dataPlane: DataPlane | undefined;
  #client: Deno.HttpClient | undefined;
  #stopped: Promise<void> | undefined;
  readonly #onAbort = () => void this.stop();

  constructor(binary: string, dir: string, options: StartClusterOptions) {
    this.#binary = binary;
    this.#options = options;
    this.name = options.name;
    this.dir = dir;
    const [etcdClientPort, etcdPeerPort, apiserverPort] = freePorts(3) as [number, number, number];
    this.server = `https://127.0.0.1:${apiserverPort}`;
    this.etcdEndpoint = `http://127.0.0.1:${etcdClientPort}`;
    this.kubeconfig = `${dir}/admin.kubeconfig`;
    this.caPath = `${dir}/pki/ca.crt`;
    this.auditLogPath = `${dir}/logs/audit.jsonl`;
    this.token = crypto.randomUUID();

    const log = (component: string) => `${dir}/logs/${component}.log`;
    this.#etcd = new Component("etcd", {
      binary,
      logPath: log("etcd"),
      args: [
        "etcd",
        `--data-dir=${dir}/etcd`,
        `--listen-client-url=${this.etcdEndpoint}`,
        `--listen-peer-url=http://127.0.0.1:${etcdPeerPort}`,
      ],
    });
    const pki = `${dir}/pki`;
    this.#apiserver = new Component("kube-apiserver", {
      binary,
      logPath: log("kube-apiserver"),
      // On SIGTERM kube-apiserver waits up to its request timeout (60 s) for
      // open watches to end. Tests do not wait that long: past this grace it
      // is killed, which its clients see as a crashed apiserver would look.
      stopGraceMs: 3_000,
      args: [
        "kube-apiserver",
        `--etcd-servers=${this.etcdEndpoint}`,
        "--etcd-compaction-interval=0",
        `--bind-address=${options.alsoServedAt ? "0.0.0.0" : "127.0.0.1"}`,
        "--advertise-address=127.0.0.1",
        `--secure-port=${apiserverPort}`,
        `--cert-dir=${dir}/apiserver`,
        `--tls-cert-file=${pki}/apiserver.crt`,
        `--tls-private-key-file=${pki}/apiserver.key`,
        `--client-ca-file=${pki}/ca.crt`,
        `--token-auth-file=${dir}/tokens.csv`,
        "--authorization-mode=RBAC",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${pki}/service-account.pub`,
        `--service-account-signing-key-file=${pki}/service-account.key`,
        `--service-cluster-ip-range=${serviceCidrs.join(",")}`,
        "--endpoint-reconciler-type=none",
        `--watch-cache=${options.watchCache ?? true}`,
        "--enable-priority-and-fairness=false",
        "--profiling=false",
        `--audit-policy-file=${dir}/audit-policy.json`,
        `--audit-log-path=${this.auditLogPath}`,
        "--audit-log-format=json",
        "--audit-log-mode=blocking",
        `--audit-log-maxsize=${auditLogMaxMegabytes}`,
      ],
    });
    this.#controllerManager = new Component("kube-controller-manager", {
      binary,
      logPath: log("kube-controller-manager"),
      args: [
        "kube-controller-manager",
        `--kubeconfig=${dir}/controller-manager.kubeconfig`,
        `--controllers=${controllers.join(",")}`,
        "--leader-elect=false",
        "--use-service-account-credentials=false",
        "--secure-port=0",
        "--profiling=false",
      ],
    });
    this.#dataPlane = options.dataPlane
      ? new DataPlane({
        binary,
        dir,
        clusterName: this.name,
        kubeconfig: this.kubeconfig,
        nodeName: testNodeName,
        serviceRange: serviceCidrs[0],
        clusterset: options.mcs ?? false,
      })
      : undefined;
  }

  get nameServer(): NameServer | undefined {
    return this.#dataPlane?.nameServer;
  }

  async start(): Promise<void> {
    const { dir } = this;
    await Deno.mkdir(`${dir}/logs`, { recursive: true });
    const hosts = [
      "127.0.0.1",
      "localhost",
      "::1",
      ...(this.#options.alsoServedAt ? [this.#options.alsoServedAt] : []),
    ];
    await this.#run("pki", `--dir=${dir}/pki`, `--hosts=${hosts.join(",")}`);
    this.ca = await Deno.readTextFile(this.caPath);
    this.admin = {
      cert: await Deno.readTextFile(`${dir}/pki/admin.crt`),
      key: await Deno.readTextFile(`${dir}/pki/admin.key`),
    };
    await Deno.writeTextFile(`${dir}/audit-policy.json`, JSON.stringify(auditPolicy));
    await Deno.writeTextFile(
      `${dir}/tokens.csv`,
      `${this.token},token-admin,token-admin,"system:masters"\n`,
    );
    for (const user of ["admin", "controller-manager"]) {
      await Deno.writeTextFile(
        `${dir}/${user}.kubeconfig`,
        renderKubeconfig({
          name: user === "admin" ? this.name : `${this.name}-${user}`,
          server: this.server,
          caPath: this.caPath,
          certPath: `${dir}/pki/${user}.crt`,
          keyPath: `${dir}/pki/${user}.key`,
        }),
      );
    }
    this.#client = Deno.createHttpClient({ caCerts: [this.ca], ...this.admin });

    await this.#etcd.start();
    await this.#waitFor(this.#etcd, "etcd to be healthy", async () => {
      const response = await fetch(`${this.etcdEndpoint}/health`);
      const body = await response.json() as { health?: string };
      return body.health === "true" ? true : undefined;
    });
    await this.startApiserver();
    await this.#createTestNode();
    await this.#controllerManager.start();
    await this.#waitFor(this.#controllerManager, "the default ServiceAccount", async () => {
      const response = await this.fetch("/api/v1/namespaces/default/serviceaccounts/default");
      await response.body?.cancel();
      return response.ok ? true : undefined;
    });
    if (this.#options.mcs) await installMcsCrds(this);
    await this.#dataPlane?.start({
      setNodeAddress: (address) => this.#setNodeAddress(address),
      timeoutMs: this.#options.startTimeoutMs ?? 120_000,
      signal: this.#options.signal,
    });
    // Until here an abort fails the start (each wait checks the signal) and
    // startCluster cleans up; from here on it stops the running cluster.
    this.#options.signal?.throwIfAborted();
    this.#options.signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  async startApiserver(): Promise<void> {
    await this.#apiserver.start();
    await this.#waitFor(this.#apiserver, "kube-apiserver to be ready", async () => {
      const response = await this.fetch("/readyz");
      await response.body?.cancel();
      return response.ok ? true : undefined;
    });
  }

  stopApiserver(): Promise<void> {
    return this.#apiserver.stop();
  }

  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    if (!this.#client) {
      throw new Error(`Cannot fetch ${path}: cluster "${this.name}" is not started`);
    }
    return fetch(new URL(path, this.server), { ...init, client: this.#client });
  }

  kubectl(...args: string[]): Promise<string> {
    return this.#kubectl(undefined, args);
  }

  kubectlWithInput(input: string, ...args: string[]): Promise<string> {
    return this.#kubectl(input, args);
  }

  async compact(): Promise<number> {
    const output = await this.#run("etcd-compact", `--endpoint=${this.etcdEndpoint}`);
    const revision = Number(output.trim());
    if (!Number.isSafeInteger(revision)) {
      throw new Error(`Cannot compact etcd: expected a revision, got "${output.trim()}"`);
    }
    return revision;
  }

  async logTails(lines = 40): Promise<string> {
    const parts = [];
    const components = [this.#etcd, this.#apiserver, this.#controllerManager];
    for (const component of [...components, ...this.#dataPlane?.components ?? []]) {
      const tail = await component.tail(lines);
      if (tail.trim()) {
        parts.push(`--- ${this.name}/${component.name} (${component.logPath}) ---\n${tail}`);
      }
    }
    return parts.join("\n");
  }

  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #stop(): Promise<void> {
    this.#options.signal?.removeEventListener("abort", this.#onAbort);
    await this.#dataPlane?.stop();
    await this.#controllerManager.stop();
    await this.#apiserver.stop();
    await this.#etcd.stop();
    this.#client?.close();
    this.#client = undefined;
    if (Deno.env.get("SERVICE_REFLECTOR_KEEP_CLUSTER") !== "1") {
      await Deno.remove(this.dir, { recursive: true });
    }
  }

  async #createTestNode(): Promise<void> {
    const response = await this.fetch("/api/v1/nodes", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        apiVersion: "v1",
        kind: "Node",
        metadata: {
          name: testNodeName,
          labels: { "topology.kubernetes.io/zone": testNodeZone },
        },
      }),
    });
    const body = await response.text();
    // A restarted test keeps no etcd data, but a conflict is harmless anyway.
    if (!response.ok && response.status !== 409) {
      throw new Error(`Cannot create Node ${testNodeName}: HTTP ${response.status}: ${body}`);
    }
  }

  /** Gives the test Node an InternalIP, as a kubelet would report it. */
  async #setNodeAddress(address: string): Promise<void> {
    const response = await this.fetch(`/api/v1/nodes/${testNodeName}/status`, {
      method: "PATCH",
      headers: { "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ status: { addresses: [{ type: "InternalIP", address }] } }),
    });
    const body = await response.text();
    if (!response.ok) {
      throw new Error(
        `Cannot set the InternalIP of Node ${testNodeName}: HTTP ${response.status}: ${body}`,
      );
    }
  }

  /** Polls `probe`, failing at once if `component` exits meanwhile. */
  #waitFor(
    component: Component,
    description: string,
    probe: () => Promise<true | undefined>,
  ): Promise<void> {
    return waitForComponent(component, probe, {
      description: `${description} in cluster "${this.name}"`,
      timeoutMs: this.#options.startTimeoutMs ?? 120_000,
      signal: this.#options.signal,
    });
  }

  async #kubectl(input: string | undefined, args: string[]): Promise<string> {
    const child = new Deno.Command(this.#binary, {
      // A discovery cache of its own: one in ~/.kube left by an earlier cluster on this port
      // would describe that cluster.
      args: [
        "kubectl",
        `--kubeconfig=${this.kubeconfig}`,
        `--cache-dir=${this.dir}/kubectl-cache`,
        ...args,
      ],
      stdin: input === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(kubectlTimeoutMs),
    }).spawn();
    if (input !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(input));
      await writer.close();
    }
    const { code, stdout, stderr } = await child.output();
    const decoder = new TextDecoder();
    if (code !== 0) throw new KubectlError(args, code, decoder.decode(stderr));
    return decoder.decode(stdout);
  }

  /** Runs a short-lived command of the multi-call binary and returns its stdout. */
  async #run(...args: string[]): Promise<string> {
    const { code, stdout, stderr } = await new Deno.Command(this.#binary, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(kubectlTimeoutMs),
    }).output();
    const decoder = new TextDecoder();
    if (code !== 0) {
      throw new Error(
        `cluster ${args.join(" ")} exited with code ${code}: ${decoder.decode(stderr).trim()}`,
      );
    }
    return decoder.decode(stdout);
  }
}
