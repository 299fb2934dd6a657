/**
 * A Service exported from a source cluster with endpoints written by hand:
 * selector-less, labelled `export=yes`, with one EndpointSlice of ready
 * endpoints, all in one request (no Pods, no controllers to wait for).
 *
 * @module
 */

import type { Cluster } from "../cluster/mod.ts";

/** What {@linkcode exportByHand} exports. */
export interface HandExported {
  /** Namespace, created first. */
  namespace: string;
  /** The Service's name. */
  name: string;
  /** Its TCP ports, name to number (the slice carries the same). */
  ports: Record<string, number>;
  /** Ready endpoint addresses. */
  addresses: string[];
  /** Labels of the Service besides `export=yes`. */
  labels?: Record<string, string>;
  /** Annotations of the Service. */
  annotations?: Record<string, string>;
}

/** Applies the namespace, the Service and its slice to `cluster` (the namespace may exist). */
export async function exportByHand(cluster: Cluster, exported: HandExported): Promise<void> {
  const { namespace, name, addresses } = exported;
  const ports = Object.entries(exported.ports).map(([portName, port]) => ({
    name: portName,
    port,
    protocol: "TCP",
  }));
  await cluster.kubectlWithInput(
    JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: [{
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: namespace },
      }, {
        apiVersion: "v1",
        kind: "Service",
        metadata: {
          name,
          namespace,
          labels: { ...exported.labels, export: "yes" },
          ...(exported.annotations ? { annotations: exported.annotations } : {}),
        },
        spec: { ports },
      }, {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: { name: `${name}-a`, namespace, labels: { "kubernetes.io/service-name": name } },
        addressType: "IPv4",
        endpoints: addresses.map((address) => ({
          addresses: [address],
          conditions: { ready: true },
        })),
        ports,
      }],
    }),
    "apply",
    "-f",
    "-",
  );
}

/**
 * Each cluster of `clusters` (by source name) exports `from-<name>` in
 * `namespace`, port http 80, with one ready endpoint: `10.<n>.0.1` for the
 * n-th cluster (from 1), so that every source's endpoints differ.
 */
export async function exportOneEach(
  clusters: Record<string, Cluster>,
  namespace: string,
): Promise<void> {
  for (const [index, [name, cluster]] of Object.entries(clusters).entries()) {
    await exportByHand(cluster, {
      namespace,
      name: `from-${name}`,
      ports: { http: 80 },
      addresses: [`10.${index + 1}.0.1`],
    });
  }
}
