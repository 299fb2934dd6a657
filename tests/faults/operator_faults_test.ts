/**
 * Fault cases of operators acting on the host while a Reflector runs: hand
 * edits and deletions of every kind of object it owns; a foreign
 * EndpointSlice holding a name a mirror wants; a same-named Service of the
 * host's own, later deleted; a namespace that appears late; a second
 * source that is down while the first one's deletions must still apply.
 * Each ends with the shared invariant.
 */
import { equal } from "node:assert/strict";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { adminConfig } from "../support/client_configs.ts";
import { poll } from "../support/poll.ts";
import { startReflector } from "../support/reflector_harness.ts";
import { freePorts } from "../cluster/ports.ts";
import { configFromUrl } from "../../lib/kube/config/client_config.ts";
import { endpointSlices } from "../../lib/kube/resource.ts";
import {
  exportedObjects,
  exportSelector,
  type FaultWorld,
  faultWorld,
  shop,
} from "./fault_world.ts";
import { converged, invariantHolds } from "./invariant.ts";
import type { ReflectorHarnessOptions } from "../support/reflector_harness.ts";

/** Runs a Reflector of the world reading east (and `extra` sources) around `body`. */
async function reflecting(
  world: FaultWorld,
  body: () => Promise<void>,
  options: Partial<ReflectorHarnessOptions> = {},
): Promise<void> {
  const reflector = startReflector({
    host: world.west,
    sources: [{ name: "east", config: adminConfig(world.east), selector: exportSelector }],
    ...options,
  });
  try {
    await body();
  } finally {
    await reflector.stop();
  }
}

async function patch(world: FaultWorld, what: string[], body: unknown): Promise<void> {
  await world.west.kubectlWithInput(
    JSON.stringify(body),
    "patch",
    ...what,
    "-n",
    shop,
    "--type=merge",
    "--patch-file=/dev/stdin",
  );
}

/** The name of the Reflector's first slice of `service` in the host. */
async function sliceOf(world: FaultWorld, service: string): Promise<string> {
  const { items } = await world.host.list<EndpointSlice>(endpointSlices, {
    namespace: shop,
    labelSelector:
      `kubernetes.io/service-name=${service},app.kubernetes.io/managed-by=service-reflector`,
  });
  return items[0]?.metadata?.name ?? "";
}

Deno.test("fault: hand edits and deletions of mirrors, slices and their fields are undone", async () => {
  await faultWorld(async (world) => {
    await reflecting(world, async () => {
      await converged(world.host, world.sources);
      const { west } = world;
      await west.kubectl("delete", "service", "svc-1", "-n", shop, "--wait=false");
      await west.kubectl("delete", "endpointslice", await sliceOf(world, "svc-2"), "-n", shop);
      await patch(world, ["endpointslice", await sliceOf(world, "svc-3")], {
        endpoints: [{ addresses: ["192.0.2.1"], conditions: { ready: true } }],
      });
      await patch(world, ["service", "svc-4"], {
        spec: { externalIPs: ["192.0.2.10"], ports: [{ name: "x", port: 1, protocol: "UDP" }] },
      });
      await patch(world, ["service", "svc-5"], {
        metadata: { labels: { export: null, hand: "edit" } },
      });
      await west.kubectl(
        "label",
        "endpointslice",
        await sliceOf(world, "svc-6"),
        "-n",
        shop,
        "kubernetes.io/service-name=svc-7",
        "--overwrite",
      );
      await invariantHolds("hand edits and deletions", world);
    });
  });
});

Deno.test("fault: a foreign EndpointSlice holding a wanted name does not keep the mirror from its endpoints", async () => {
  const foreign = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "svc-0.east.ipv4-0-0", namespace: shop, labels: { team: "own" } },
    addressType: "IPv4",
    endpoints: [{ addresses: ["10.9.9.9"] }],
  };
  await faultWorld(async (world) => {
    await reflecting(world, async () => {
      await invariantHolds("foreign slice holding a wanted name", world);
    });
  }, { hostObjects: [foreign] });
});

Deno.test("fault: a same-named Service of the host's own is left alone, and mirrored once deleted", async () => {
  const own = { ...exportedObjects(0, 1)[0], metadata: { name: "svc-0", namespace: shop } };
  await faultWorld(async (world) => {
    await reflecting(world, async () => {
      await invariantHolds("unowned same-named Service", world);
      world.guard.exempt(`services ${shop}/svc-0`);
      await world.west.kubectl("delete", "service", "svc-0", "-n", shop);
      await invariantHolds("unowned same-named Service deleted", world);
    });
  }, { hostObjects: [own] });
});

Deno.test("fault: mirrors of a namespace the host lacks wait, and appear once it is created", async () => {
  await faultWorld(async (world) => {
    await world.east.kubectl("create", "namespace", "late");
    await world.east.kubectlWithInput(
      JSON.stringify({
        ...exportedObjects(0, 1)[0],
        metadata: { name: "web", namespace: "late", labels: { export: "yes" } },
      }),
      "apply",
      "-f",
      "-",
    );
    await reflecting(world, async () => {
      // For 3 s, the host never says what the sources say: late/web is not mirrored.
      await converged(world.host, world.sources, { timeoutMs: 3_000 }).then(
        () => {
          throw new Error("late/web mirrored without its namespace");
        },
        () => undefined,
      );
      world.guard.exempt("namespaces /late");
      await world.west.kubectl("create", "namespace", "late");
      await invariantHolds("namespace created late", world);
    }, { createNamespaces: false });
  }, { services: 3 });
});

Deno.test("fault: while a second source is down, the first one's deletions and endpoint removals apply at once", async () => {
  await faultWorld(async (world) => {
    const [deadPort] = freePorts(1) as [number];
    const dead = {
      name: "dead",
      config: configFromUrl(`http://127.0.0.1:${deadPort}`),
      selector: "",
    };
    await reflecting(world, async () => {
      const unknown = { unsynced: ["dead"] };
      await invariantHolds("healthy source next to a dead one", world, unknown);
      await world.east.kubectl("delete", "service", "svc-0", "-n", shop);
      await world.east.kubectl("delete", "endpointslice", "svc-1-a", "-n", shop);
      await invariantHolds("deletions while another source is down", world, unknown);
      const mirrors = await poll(async () => {
        const { items } = await world.host.list<EndpointSlice>(endpointSlices, {
          namespace: shop,
          labelSelector: "kubernetes.io/service-name=svc-1",
        });
        return items.length === 0 ? items : undefined;
      }, { description: "svc-1's slices gone" });
      equal(mirrors.length, 0);
    }, {
      sources: [{ name: "east", config: adminConfig(world.east), selector: exportSelector }, dead],
    });
  }, { services: 5 });
});
