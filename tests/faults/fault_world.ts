/**
 * The world every fault case starts from: a source cluster "east" that
 * exports Services of namespace `shop` (selector-less, with EndpointSlices
 * written by the test, so that hundreds are made in one request), and a
 * host cluster "west" that already holds objects of its own the Reflector
 * must never touch (a same-namespace Service and EndpointSlice, a foreign
 * namespace). The unowned guard is taken once all of that exists.
 *
 * @module
 */

import type { Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { type Cluster, withClusters } from "../cluster/mod.ts";
import { adminConfig } from "../support/client_configs.ts";
import { RestClient } from "../../lib/kube/rest.ts";
import { Transport } from "../../lib/kube/transport.ts";
import { guardUnowned, type SourceView, type UnownedGuard } from "./invariant.ts";

/** The namespace of the exported Services. */
export const shop = "shop";
/** The selector of the exported Services. */
export const exportSelector = "export=yes";

/** What a fault case gets. */
export interface FaultWorld {
  /** The source cluster. */
  east: Cluster;
  /** The host cluster. */
  west: Cluster;
  /** Admin client of the host. */
  host: RestClient;
  /** Admin client of the source. */
  eastRest: RestClient;
  /** The source as the invariant reads it (named `east`). */
  sources: SourceView[];
  /** Taken once the world was made; checked by the invariant. */
  guard: UnownedGuard;
}

/** Options of {@linkcode faultWorld}. */
export interface FaultWorldOptions {
  /** Exported Services in `shop`, each with `endpoints` endpoints. Defaults to 20. */
  services?: number;
  /** Endpoints per Service. Defaults to 2. */
  endpoints?: number;
  /** More objects of the host's own, applied before the guard is taken. */
  hostObjects?: unknown[];
  /** Another local address east's apiserver serves on (`StartClusterOptions.alsoServedAt`). */
  eastServedAt?: string;
}

/** The Service `svc-<index>` of east and its slice, as objects to apply. */
export function exportedObjects(index: number, endpoints: number): [Service, EndpointSlice] {
  const name = `svc-${index}`;
  return [{
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: shop, labels: { export: "yes" } },
    spec: { ports: [{ name: "http", port: 80, protocol: "TCP" }] },
  }, {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: `${name}-a`,
      namespace: shop,
      labels: { "kubernetes.io/service-name": name },
    },
    addressType: "IPv4",
    endpoints: Array.from({ length: endpoints }, (_, each) => ({
      addresses: [`10.${Math.floor(index / 250)}.${index % 250}.${each + 1}`],
      conditions: { ready: true },
    })),
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
  }];
}

/** Applies `objects` to `cluster` in one request. */
export async function applyAll(cluster: Cluster, objects: readonly unknown[]): Promise<void> {
  await cluster.kubectlWithInput(
    JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }),
    "apply",
    "-f",
    "-",
  );
}

/** Runs `body` in a fresh world (see the module doc). */
export async function faultWorld(
  body: (world: FaultWorld) => Promise<void>,
  options: FaultWorldOptions = {},
): Promise<void> {
  const { services = 20, endpoints = 2, hostObjects = [], eastServedAt } = options;
  const eastSpec = eastServedAt ? { name: "east", alsoServedAt: eastServedAt } : "east";
  await withClusters([eastSpec, "west"], async ([east, west]) => {
    if (!east || !west) throw new Error("clusters missing");
    using hostTransport = new Transport(adminConfig(west));
    using eastTransport = new Transport(adminConfig(east));
    const host = new RestClient(hostTransport);
    const eastRest = new RestClient(eastTransport);
    await east.kubectl("create", "namespace", shop);
    await applyAll(east, [
      ...Array.from({ length: services }, (_, index) => exportedObjects(index, endpoints)).flat(),
      // Not exported: never mirrored.
      { ...exportedObjects(services, 1)[0], metadata: { name: "private", namespace: shop } },
    ]);
    // The host's own objects, in the mirrors' namespace and in another one.
    await west.kubectl("create", "namespace", shop);
    await west.kubectl("create", "namespace", "mine");
    await applyAll(west, [
      { ...exportedObjects(0, 1)[0], metadata: { name: "local", namespace: shop } },
      {
        ...exportedObjects(0, 1)[1],
        metadata: {
          name: "local-a",
          namespace: shop,
          labels: { "kubernetes.io/service-name": "local" },
        },
      },
      { ...exportedObjects(0, 1)[0], metadata: { name: "svc-0", namespace: "mine" } },
      ...hostObjects,
    ]);
    const guard = await guardUnowned(host);
    const sources = [{ name: "east", rest: eastRest, selector: exportSelector }];
    await body({ east, west, host, eastRest, sources, guard });
  });
}
