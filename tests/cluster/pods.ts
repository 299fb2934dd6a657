/**
 * Pods that look Running and Ready without a kubelet: the Pod is bound to
 * the test Node at creation and its status is patched, so the real
 * EndpointSlice controller turns it into endpoints.
 *
 * @module
 */

import type { Pod } from "kubernetes-types/core/v1.d.ts";
import type { Cluster } from "./cluster.ts";
import { testNodeName } from "./cluster.ts";
import { sendJson } from "../support/api_json.ts";
import { poll } from "../support/poll.ts";

/** Options of {@linkcode createReadyPod}. */
export interface ReadyPodOptions {
  /** Namespace of the Pod; its `default` ServiceAccount is awaited. */
  namespace: string;
  /** Pod name. */
  name: string;
  /** Pod IPs: one per family, the first is `status.podIP`. */
  ips: string[];
  /** Pod labels, usually matching a Service selector. */
  labels: Record<string, string>;
  /** Value of the Ready condition. Defaults to true. */
  ready?: boolean;
  /** Container ports, for Services whose targetPort is a name. */
  ports?: { name: string; containerPort: number }[];
  /** `spec.hostname`, for per-Pod DNS names behind a headless Service. */
  hostname?: string;
  /** `spec.subdomain`: the headless Service's name. */
  subdomain?: string;
}

/** Creates a Pod on the test Node and patches its status to Running with the given IPs. */
export async function createReadyPod(cluster: Cluster, options: ReadyPodOptions): Promise<Pod> {
  const { namespace, name, ips, labels, ready = true, ports = [], hostname, subdomain } = options;
  if (ips.length === 0) {
    throw new RangeError(`Cannot create Pod ${namespace}/${name} as 'ips' must not be empty`);
  }
  // The ServiceAccount admission plugin rejects Pods until the namespace's
  // default ServiceAccount exists, which the controller-manager creates.
  await poll(async () => {
    const response = await cluster.fetch(`/api/v1/namespaces/${namespace}/serviceaccounts/default`);
    await response.body?.cancel();
    return response.ok ? true : undefined;
  }, { description: `ServiceAccount ${namespace}/default` });

  const pod: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels },
    spec: {
      nodeName: testNodeName,
      ...(hostname ? { hostname } : {}),
      ...(subdomain ? { subdomain } : {}),
      // No kubelet will ever confirm a graceful deletion, so deletions
      // (including a namespace's) must complete at once.
      terminationGracePeriodSeconds: 0,
      containers: [{ name: "app", image: "registry.invalid/app:1", ports }],
    },
  };
  await sendJson(cluster, {
    method: "POST",
    path: `/api/v1/namespaces/${namespace}/pods`,
    body: pod,
  });
  const now = new Date().toISOString();
  return await sendJson<Pod>(cluster, {
    method: "PATCH",
    path: `/api/v1/namespaces/${namespace}/pods/${name}/status`,
    contentType: "application/merge-patch+json",
    body: {
      status: {
        phase: "Running",
        conditions: [{ type: "Ready", status: ready ? "True" : "False", lastTransitionTime: now }],
        podIP: ips[0],
        podIPs: ips.map((ip) => ({ ip })),
        hostIP: "192.0.2.1",
        startTime: now,
      },
    },
  });
}

/** Sets the Ready condition of Pod `namespace/name`, as a kubelet's probe would. */
export async function setPodReady(
  cluster: Cluster,
  pod: { namespace: string; name: string },
  ready: boolean,
): Promise<void> {
  await sendJson(cluster, {
    method: "PATCH",
    path: `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}/status`,
    contentType: "application/strategic-merge-patch+json",
    body: {
      status: {
        conditions: [{
          type: "Ready",
          status: ready ? "True" : "False",
          lastTransitionTime: new Date().toISOString(),
        }],
      },
    },
  });
}
