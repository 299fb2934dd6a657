/**
 * A Service exported to the Reflector in a source cluster, the way the
 * Reflector tests set one up: `kubectl create service clusterip NAME
 * --tcp=80:8080` (port `80-8080`, selector `app=NAME`), the label
 * `export=yes`, and one ready Pod per IP (no kubelet: the test sets the
 * status, the cluster's EndpointSlice controller makes the endpoints).
 *
 * @module
 */

import { type Cluster, createReadyPod } from "../cluster/mod.ts";

/** Where and what {@linkcode exportService} creates. */
export interface ExportedService {
  /** An existing namespace of the source. */
  namespace: string;
  /** The Service's name, also its Pods' `app` label. */
  name: string;
  /** One ready Pod `NAME-1`, `NAME-2`, ... per IP. */
  ips: readonly string[];
}

/** Creates the Service, labels it `export=yes` and starts its ready Pods. */
export async function exportService(source: Cluster, service: ExportedService): Promise<void> {
  const { namespace, name, ips } = service;
  await source.kubectl("create", "service", "clusterip", name, "-n", namespace, "--tcp=80:8080");
  await source.kubectl("label", "service", name, "-n", namespace, "export=yes");
  for (const [index, ip] of ips.entries()) {
    await createReadyPod(source, {
      namespace,
      name: `${name}-${index + 1}`,
      ips: [ip],
      labels: { app: name },
    });
  }
}

/** What {@linkcode applyServedService} applies. */
export interface ServedService {
  /** An existing namespace. */
  namespace: string;
  /** The Service's name, also the `app` label it selects. */
  name: string;
  /** The Pods' port behind port 80, named `http`. */
  targetPort: number;
  /** `clusterIP: None`, so its name resolves to its Pods. Defaults to false. */
  headless?: boolean;
}

/**
 * Applies a Service exported with `export=yes` whose port 80 (named `http`,
 * for SRV records) leads to `targetPort` of the Pods labelled `app=NAME`:
 * what the data-plane tests serve Pods behind (`tests/cluster/pod_server.ts`).
 */
export async function applyServedService(cluster: Cluster, service: ServedService): Promise<void> {
  const { namespace, name, targetPort, headless = false } = service;
  await cluster.kubectlWithInput(
    JSON.stringify({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace, labels: { export: "yes" } },
      spec: {
        selector: { app: name },
        ...(headless ? { clusterIP: "None" } : {}),
        ports: [{ name: "http", protocol: "TCP", port: 80, targetPort }],
      },
    }),
    "apply",
    "-f",
    "-",
  );
}
