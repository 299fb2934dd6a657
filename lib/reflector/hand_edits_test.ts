/**
 * A mirror is wholly owned: hand edits of its Service and EndpointSlices in
 * the host are undone, between two real clusters ("east" the source, "west"
 * the host). The edits are the ones that reroute traffic: a selector (the
 * host's own EndpointSlice controller would add host Pods), external IPs
 * (the CVE-2020-8554 pattern), traffic policies, a port's target, and an
 * endpoint's node and zone (topology-aware routing).
 */
import { deepStrictEqual, equal } from "node:assert/strict";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import type { Cluster } from "../../tests/cluster/mod.ts";
import { exportService } from "../../tests/support/exported_service.ts";
import { poll } from "../../tests/support/poll.ts";
import { mirrorOf } from "../../tests/support/reflector_mirror.ts";
import { scenario, scenarioNamespace } from "../../tests/support/reflector_scenario.ts";
import { endpointSliceControllerName, endpointSliceManagedByLabel } from "../ownership.ts";

const namespace = scenarioNamespace;

async function mergePatch(cluster: Cluster, what: string[], patch: unknown): Promise<void> {
  await cluster.kubectlWithInput(
    JSON.stringify(patch),
    "patch",
    ...what,
    "-n",
    namespace,
    "--type=merge",
    "--patch-file=/dev/stdin",
  );
}

/**
 * The fields the edits below touch, as the host holds them, in the mirror
 * Service and the Reflector's own slices (while the selector is in place,
 * the host's EndpointSlice controller adds one of its own, which it leaves
 * behind once the selector is gone; that one is not the Reflector's).
 */
function edited(service: Service | undefined, all: EndpointSlice[]) {
  const slices = all.filter((slice) =>
    slice.metadata?.labels?.[endpointSliceManagedByLabel] === endpointSliceControllerName
  );
  const spec = service?.spec ?? {};
  return {
    selector: spec.selector ?? null,
    ownerReferences: service?.metadata?.ownerReferences ?? null,
    finalizers: service?.metadata?.finalizers ?? null,
    externalIPs: spec.externalIPs ?? null,
    internalTrafficPolicy: spec.internalTrafficPolicy ?? null,
    sessionAffinity: spec.sessionAffinity ?? null,
    trafficDistribution: spec.trafficDistribution ?? null,
    targetPorts: (spec.ports ?? []).map((port) => port.targetPort ?? null),
    sliceAnnotations: slices.map((slice) => slice.metadata?.annotations ?? {}),
    endpoints: slices.flatMap((slice) =>
      (slice.endpoints ?? []).map((endpoint) => [
        endpoint.addresses[0],
        endpoint.nodeName ?? null,
        endpoint.zone ?? null,
      ])
    ),
  };
}

const pristine = {
  selector: null,
  ownerReferences: null,
  finalizers: null,
  externalIPs: null,
  internalTrafficPolicy: "Cluster",
  sessionAffinity: "None",
  trafficDistribution: null,
  targetPorts: [80],
  sliceAnnotations: [{}],
  endpoints: [["10.1.0.1", null, null]],
};

Deno.test("hand edits of a mirror's Service and EndpointSlice are undone", async () => {
  await scenario(async ({ east, west, host, start }) => {
    await exportService(east, { namespace, name: "web", ips: ["10.1.0.1"] });
    const reflector = start();
    // The mirror as the Reflector writes it, once every edit below is undone.
    const untilPristine = async (description: string) => {
      let last: unknown;
      return await poll(async () => {
        const state = await mirrorOf(host, namespace, "web");
        last = edited(state.service, state.slices);
        return JSON.stringify(last) === JSON.stringify(pristine) ? state : undefined;
      }, { description, timeoutMs: 15_000 }).catch((error) => {
        throw new Error(`${error.message}; last seen ${JSON.stringify(last)}`, { cause: error });
      });
    };
    const mirrored = await untilPristine("web mirrored");
    // An owner that exists, so that the garbage collector does not delete the mirror meanwhile.
    await west.kubectl("create", "configmap", "holder", "-n", namespace);
    const holder = await west.kubectl(
      "get",
      "configmap",
      "holder",
      "-n",
      namespace,
      "-o",
      "jsonpath={.metadata.uid}",
    );

    const slice = mirrored.slices[0] as EndpointSlice;
    const sliceName = slice.metadata?.name ?? "";
    const endpointsWith = (extra: Record<string, unknown>) => ({
      endpoints: slice.endpoints.map((endpoint) => ({ ...endpoint, ...extra })),
    });
    // One field at a time, so that no edit is undone only because another one was.
    const edits: [string, string[], unknown][] = [
      ["a selector", ["service", "web"], { spec: { selector: { app: "web" } } }],
      ["an owner reference", ["service", "web"], {
        metadata: {
          ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "holder", uid: holder }],
        },
      }],
      ["a finalizer", ["service", "web"], { metadata: { finalizers: ["example.com/hold"] } }],
      ["external IPs", ["service", "web"], { spec: { externalIPs: ["192.0.2.10"] } }],
      ["a traffic policy", ["service", "web"], { spec: { internalTrafficPolicy: "Local" } }],
      ["session affinity", ["service", "web"], { spec: { sessionAffinity: "ClientIP" } }],
      ["traffic distribution", ["service", "web"], {
        spec: { trafficDistribution: "PreferClose" },
      }],
      ["a target port", ["service", "web"], {
        spec: { ports: [{ name: "80-8080", port: 80, protocol: "TCP", targetPort: 9999 }] },
      }],
      ["a slice annotation", ["endpointslice", sliceName], {
        metadata: { annotations: { "example.com/hand": "edit" } },
      }],
      ["an endpoint's node", ["endpointslice", sliceName], endpointsWith({ nodeName: "west-1" })],
      ["an endpoint's zone", ["endpointslice", sliceName], endpointsWith({ zone: "west-a" })],
    ];
    let restored = mirrored;
    for (const [description, target, patch] of edits) {
      await mergePatch(west, target, patch);
      restored = await untilPristine(`${description} undone`);
    }
    // While the selector was on, the host's EndpointSlice controller wrote a slice of its own.
    const strays = await poll(() => reflector.strays.find(([key]) => key === `${namespace}/web`), {
      description: "the host controller's slice reported",
    });
    deepStrictEqual(
      strays[1].map((stray) => stray.metadata?.labels?.[endpointSliceManagedByLabel]),
      ["endpointslice-controller.k8s.io"],
    );
    equal(restored.service?.metadata?.uid, mirrored.service?.metadata?.uid, "updated in place");
    const updates = reflector.writes.filter((write) => write.verb === "update");
    deepStrictEqual(
      [...new Set(updates.map((write) => write.resource))].sort(),
      ["endpointslices", "services"],
    );
  });
});
