/**
 * The data plane of a test cluster: CoreDNS serving `cluster.local` from the
 * cluster's Services and EndpointSlices, and kube-proxy in nftables mode
 * programming their ClusterIPs, both real and both from the `cluster`
 * binary, in the private network of `private_network.ts`.
 *
 * What is simulated: there is no kubelet and no container runtime, so a Pod
 * is an object with a patched status (`pods.ts`) and, when a test serves it
 * (`pod_server.ts`), a listener of the test process on the Pod's IP.
 *
 * Invariants: one data plane runs per network namespace (kube-proxy's
 * tables have fixed names), so a second start fails until the first stops;
 * a stop always ends both processes and removes kube-proxy's tables, the
 * DNS address and this holder's share of the node network.
 *
 * @module
 */

import { Component, waitForComponent } from "./component.ts";
import { freePorts } from "./ports.ts";
import { addLocalAddress, dnsAddress, holdNodeNetwork, nodeAddress } from "./private_network.ts";

/** Where a data-plane cluster's DNS answers, as `Deno.resolveDns` takes it. */
export interface NameServer {
  /** IPv4 address inside the private network. */
  ipAddr: string;
  /** UDP and TCP port. */
  port: number;
}

/** Options of {@linkcode DataPlane}. */
export interface DataPlaneOptions {
  /** The multi-call `cluster` binary. */
  binary: string;
  /** The cluster's directory: the Corefile and logs go there. */
  dir: string;
  /** Cluster name, for messages and the kubeconfig's context. */
  clusterName: string;
  /** Admin kubeconfig of the cluster. */
  kubeconfig: string;
  /** Name of the Node kube-proxy runs as. */
  nodeName: string;
  /** IPv4 Service range, routed so that ClusterIPs reach kube-proxy's rules. */
  serviceRange: string;
  /** CoreDNS also answers `clusterset.local`, from ServiceImports (the MCS API's CRDs installed). */
  clusterset?: boolean;
}

/** Options of {@linkcode DataPlane.start}. */
export interface DataPlaneStartOptions {
  /** Sets the Node's InternalIP, which kube-proxy waits for. */
  setNodeAddress: (address: string) => Promise<void>;
  /** Bound on each start-up wait. */
  timeoutMs: number;
  /** Aborts a pending start. */
  signal?: AbortSignal | undefined;
}

/** Another cluster's data plane already runs in this network namespace. */
export class DataPlaneTakenError extends Error {
  /** The cluster whose data plane runs. */
  readonly holder: string;

  constructor(clusterName: string, holder: string) {
    super(
      `Cannot start the data plane of cluster "${clusterName}": cluster "${holder}"'s runs in this network namespace (kube-proxy's tables are one per namespace)`,
    );
    this.name = "DataPlaneTakenError";
    this.holder = holder;
  }
}

/** The cluster whose data plane runs in this process's namespace. */
let runningFor: string | undefined;

/** kube-proxy and CoreDNS of one cluster. */
export class DataPlane {
  /** Where the cluster's CoreDNS answers. */
  readonly nameServer: NameServer = { ipAddr: dnsAddress, port: 53 };
  readonly #options: DataPlaneOptions;
  readonly #coreDns: Component;
  readonly #kubeProxy: Component;
  readonly #corefile: string;
  readonly #ports: { coreDnsHealth: number; coreDnsReady: number; proxyHealth: number };
  readonly #held = new AsyncDisposableStack();

  constructor(options: DataPlaneOptions) {
    this.#options = options;
    const { binary, dir, kubeconfig, nodeName } = options;
    const [coreDnsHealth, coreDnsReady, proxyHealth, proxyMetrics] = freePorts(4) as [
      number,
      number,
      number,
      number,
    ];
    this.#ports = { coreDnsHealth, coreDnsReady, proxyHealth };
    this.#corefile = `${dir}/Corefile`;
    this.#coreDns = new Component("coredns", {
      binary,
      logPath: `${dir}/logs/coredns.log`,
      args: ["coredns", `-conf=${this.#corefile}`],
    });
    this.#kubeProxy = new Component("kube-proxy", {
      binary,
      logPath: `${dir}/logs/kube-proxy.log`,
      args: [
        "kube-proxy",
        `--kubeconfig=${kubeconfig}`,
        "--proxy-mode=nftables",
        `--hostname-override=${nodeName}`,
        // Conntrack limits are read-only in a child network namespace.
        "--conntrack-max-per-core=0",
        `--healthz-bind-address=127.0.0.1:${proxyHealth}`,
        `--metrics-bind-address=127.0.0.1:${proxyMetrics}`,
      ],
    });
  }

  /** The processes, for log tails. */
  get components(): Component[] {
    return [this.#coreDns, this.#kubeProxy];
  }

  /** Starts CoreDNS and kube-proxy and waits until each answers for real. */
  async start(options: DataPlaneStartOptions): Promise<void> {
    const { clusterName, serviceRange } = this.#options;
    if (runningFor !== undefined) throw new DataPlaneTakenError(clusterName, runningFor);
    runningFor = clusterName;
    this.#held.defer(() => {
      runningFor = undefined;
    });
    this.#held.use(await holdNodeNetwork(serviceRange));
    this.#held.use(await addLocalAddress(dnsAddress));
    await options.setNodeAddress(nodeAddress);
    await Deno.writeTextFile(this.#corefile, this.#renderCorefile());

    const wait = (component: Component, what: string, probe: () => Promise<true | undefined>) =>
      waitForComponent(component, probe, {
        description: `${what} in cluster "${clusterName}"`,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
      });
    this.#held.defer(() => this.#coreDns.stop());
    await this.#coreDns.start();
    await wait(
      this.#coreDns,
      "CoreDNS to be ready",
      () => this.#httpOk(this.#ports.coreDnsReady, "/ready"),
    );
    // Its /ready answers before its DNS port listens: only an answer counts.
    await wait(this.#coreDns, "CoreDNS to answer", async () => {
      const answers = await Deno.resolveDns("cluster.local", "SOA", {
        nameServer: this.nameServer,
        signal: AbortSignal.timeout(1_000),
      });
      return answers.length > 0 ? true : undefined;
    });
    this.#held.defer(() => deleteKubeProxyTables());
    this.#held.defer(() => this.#kubeProxy.stop());
    await this.#kubeProxy.start();
    await wait(
      this.#kubeProxy,
      "kube-proxy to be healthy",
      () => this.#httpOk(this.#ports.proxyHealth, "/healthz"),
    );
  }

  /** Stops both processes and releases the network; safe to call more than once. */
  async stop(): Promise<void> {
    await this.#held.disposeAsync();
  }

  async #httpOk(port: number, path: string): Promise<true | undefined> {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    await response.body?.cancel();
    return response.ok ? true : undefined;
  }

  #renderCorefile(): string {
    const { kubeconfig, clusterName, clusterset = false } = this.#options;
    const zones = clusterset ? "cluster.local clusterset.local" : "cluster.local";
    return [
      `.:${this.nameServer.port} {`,
      `    bind ${this.nameServer.ipAddr}`,
      "    errors",
      "    log",
      `    health 127.0.0.1:${this.#ports.coreDnsHealth}`,
      `    ready 127.0.0.1:${this.#ports.coreDnsReady}`,
      `    kubernetes ${zones} in-addr.arpa ip6.arpa {`,
      `        kubeconfig ${kubeconfig} ${clusterName}`,
      ...(clusterset ? ["        multicluster clusterset.local"] : []),
      "        pods insecure",
      "        ttl 5",
      "    }",
      "    cache 30",
      "}",
      "",
    ].join("\n");
  }
}

/** kube-proxy leaves its rules behind when stopped; they go with its data plane. */
async function deleteKubeProxyTables(): Promise<void> {
  for (const family of ["ip", "ip6"]) {
    await new Deno.Command("nft", {
      args: ["delete", "table", family, "kube-proxy"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
  }
}
