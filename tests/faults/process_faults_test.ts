/**
 * Fault cases of the Reflector's own process, run as users run it (its
 * own process, the compiled binary's permissions): killed with SIGKILL in
 * the middle of its initial sync, or stopped with SIGTERM there, then
 * started again. Each ends with the shared invariant.
 */
import { equal, ok } from "node:assert/strict";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { endpointSlices, services } from "../../lib/kube/resource.ts";
import { startBetween } from "../support/command.ts";
import { poll } from "../support/poll.ts";
import { type FaultWorld, faultWorld, shop } from "./fault_world.ts";
import { invariantHolds } from "./invariant.ts";

const services_ = 200;

/** The command in west reflecting east, as source `east`. */
const reflecting = (world: FaultWorld) =>
  startBetween({ host: world.west, source: world.east, sourceName: "east" });

/** Starts the command between the world's clusters and waits until it has written `writes` times. */
async function midSync(world: FaultWorld, writes: number) {
  const command = await reflecting(world);
  await poll(async () => {
    const written = await command.metric("service_reflector_writes_total").catch(() => undefined);
    return (written ?? 0) >= writes || undefined;
  }, { description: `${writes} writes`, intervalMs: 20 });
  return command;
}

Deno.test("fault: SIGKILL in the middle of the initial sync, then a restart, converges", async () => {
  await faultWorld(async (world) => {
    const killed = await midSync(world, 20);
    equal((await killed.stop("SIGKILL")).signal, "SIGKILL");
    await using restarted = await reflecting(world);
    await invariantHolds("SIGKILL mid-sync, restart", world);
    equal((await restarted.stop()).code, 0, restarted.logs());
  }, { services: services_ });
});

Deno.test("fault: SIGTERM in the middle of the initial sync leaves every mirror whole, and a restart converges", async () => {
  await faultWorld(async (world) => {
    const stopped = await midSync(world, 20);
    equal((await stopped.stop("SIGTERM")).code, 0, stopped.logs());
    const mirrors = (await world.host.list<Service>(services, {
      namespace: shop,
      labelSelector: "app.kubernetes.io/managed-by=service-reflector",
    })).items.map((service) => service.metadata?.name);
    ok(mirrors.length < services_, `stopped mid-sync (${mirrors.length} of ${services_})`);
    const sliced = new Set(
      (await world.host.list<EndpointSlice>(endpointSlices, { namespace: shop })).items
        .map((slice) => slice.metadata?.labels?.["kubernetes.io/service-name"]),
    );
    equal(mirrors.filter((name) => !sliced.has(name)).join(), "", "mirrors without slices");
    await using restarted = await reflecting(world);
    await invariantHolds("SIGTERM mid-sync, restart", world);
    equal((await restarted.stop()).code, 0, restarted.logs());
  }, { services: services_ });
});
