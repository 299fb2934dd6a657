/**
 * Fault cases of the network between a running Reflector and its source,
 * where liveness must come from round trips, not from open sockets, and
 * `stale-after` must count from the loss of contact:
 * - a partition that drops every packet of east's apiserver address (open
 *   watches go silent, new connections get no answer), healed after a
 *   while, with a change made meanwhile;
 * - a Reflector started while east is already cut off;
 * - a restart of east's apiserver shorter than `stale-after`;
 * - a quiet source, silent for longer than `stale-after`.
 * The Reflector reaches east at an address of its own on `lo`, so that
 * dropping its packets leaves the test's admin requests (127.0.0.1) alone.
 * Each case ends with the shared invariant.
 */
import { equal, ok } from "node:assert/strict";
import { addLocalAddress, dropPackets } from "../cluster/mod.ts";
import { adminConfig } from "../support/client_configs.ts";
import { recordEndpointReadiness } from "../support/endpoint_readiness.ts";
import { holds } from "../support/holds.ts";
import { delay, poll } from "../support/poll.ts";
import { type RunningReflector, startReflector } from "../support/reflector_harness.ts";
import { markServerWrites } from "../support/server_writes.ts";
import type { ClientConfig } from "../../lib/kube/config/client_config.ts";
import { noteConvergence } from "./convergence_log.ts";
import {
  applyAll,
  exportedObjects,
  exportSelector,
  type FaultWorld,
  faultWorld,
  shop,
} from "./fault_world.ts";
import { invariantHolds } from "./invariant.ts";

/** Where the Reflector reaches east: an address whose packets a case can drop. */
const eastAddress = "10.251.0.2";

/** Admin access to east through {@linkcode eastAddress}. */
function eastThroughCutAddress(world: FaultWorld): ClientConfig {
  const server = new URL(world.east.server);
  server.hostname = eastAddress;
  return { ...adminConfig(world.east), server };
}

/** What the Reflector told of east's reachability: an error's message, or "answers". */
interface Reachability {
  told: string[];
}

function reflecting(world: FaultWorld, staleAfterMs: number, reachability?: Reachability) {
  return startReflector({
    host: world.west,
    sources: [{ name: "east", config: eastThroughCutAddress(world), selector: exportSelector }],
    staleAfterMs,
    ...(reachability
      ? {
        observer: {
          onReachability: (_source: string, _url: string, error: unknown) =>
            reachability.told.push(error === undefined ? "answers" : String(error)),
        },
      }
      : {}),
  });
}

/** The value of gauge `name` for source east. */
async function eastGauge(reflector: RunningReflector, name: string): Promise<string | undefined> {
  const line = (await reflector.registry.metrics()).split("\n").find((each) =>
    each.startsWith(`${name}{source="east"} `)
  );
  return line?.split(" ")[1];
}

/** Changes east: one Service deleted, one added, one's endpoints replaced. */
async function changeSource(world: FaultWorld): Promise<void> {
  await world.east.kubectl("delete", "service", "svc-0", "-n", shop);
  await applyAll(world.east, [...exportedObjects(50, 3), exportedObjects(1, 5)[1]]);
}

function port(world: FaultWorld): number {
  return Number(new URL(world.east.server).port);
}

Deno.test("fault: a source behind a packet-dropping partition goes down, is withdrawn after stale-after, and is back once healed", async () => {
  await faultWorld(async (world) => {
    await using _address = await addLocalAddress(eastAddress);
    const reachability: Reachability = { told: [] };
    const reflector = reflecting(world, 5_000, reachability);
    try {
      await invariantHolds("partition: before", world);
      await using readiness = await recordEndpointReadiness(world.host, shop);
      const state = () => reflector.reflector.sourceStates[0];
      await using partition = await dropPackets({ address: eastAddress, port: port(world) });
      const cut = performance.now();
      await poll(() => state()?.connected === false || undefined, {
        description: "east down",
        intervalMs: 20,
      });
      const downMs = performance.now() - cut;
      await poll(() => readiness.allWithdrawn() || undefined, {
        description: "east's endpoints withdrawn",
        intervalMs: 20,
      });
      const withdrawnMs = performance.now() - cut;
      await noteConvergence("partition: source_up 0, from the cut", downMs);
      await noteConvergence(
        "partition: endpoints withdrawn (stale-after 5 s), from the cut",
        withdrawnMs,
      );
      equal(state()?.stale, true);
      ok(state()?.lostSinceMs !== undefined);
      equal(await eastGauge(reflector, "service_reflector_source_up"), "0");
      equal(await eastGauge(reflector, "service_reflector_source_stale"), "1");
      // One line, naming the URL and what timed out.
      equal(reachability.told.length, 1, reachability.told.join("\n"));
      ok(
        reachability.told[0]?.includes(
          `GET https://${eastAddress}:${port(world)}/version failed: no answer within 5000 ms`,
        ),
        reachability.told[0],
      );
      await changeSource(world);
      await delay(2_000);
      await partition.heal();
      const healed = performance.now();
      await poll(() => readiness.allReady() || undefined, {
        description: "east's endpoints back",
        intervalMs: 20,
      });
      await noteConvergence("partition: endpoints back, from the heal", performance.now() - healed);
      equal(reachability.told.at(-1), "answers");
      await invariantHolds("partition healed, a change made meanwhile", world);
      equal(await eastGauge(reflector, "service_reflector_source_up"), "1");
    } finally {
      await reflector.stop();
    }
  }, { eastServedAt: eastAddress });
});

Deno.test("fault: a Reflector started while its source is cut off keeps the mirrors and converges once healed", async () => {
  await faultWorld(async (world) => {
    await using _address = await addLocalAddress(eastAddress);
    const first = reflecting(world, 5_000);
    try {
      await invariantHolds("cut off at start: first run", world);
    } finally {
      await first.stop();
    }
    await using partition = await dropPackets({ address: eastAddress, port: port(world) });
    const restarted = await markServerWrites(world.west);
    const second = reflecting(world, 5_000);
    const { userAgent } = second;
    try {
      ok(userAgent, "the harness names the Reflector's requests");
      await using readiness = await recordEndpointReadiness(world.host, shop);
      // Discovery gets no answer: the source is never reached, its part of the host stays.
      await poll(() => second.informerErrors.length > 0 || undefined, {
        description: "discovery's failure",
      });
      ok(
        String(second.informerErrors[0]?.error).includes("no answer within"),
        String(second.informerErrors[0]?.error),
      );
      // Writes counted at the host's apiserver, Events included.
      await holds(
        async () =>
          (await restarted.writes({ userAgent })).length === 0 &&
          readiness.notReady.length === 0 &&
          second.reflector.sourceStates[0]?.synced === false,
        { forMs: 6_000, description: "nothing written while east was never reached" },
      );
      await changeSource(world);
      await partition.heal();
      await invariantHolds("cut off at start, then healed", world);
      ok((await restarted.writes({ userAgent })).length > 0, "its writes, once healed, are seen");
    } finally {
      await second.stop();
    }
  }, { eastServedAt: eastAddress });
});

Deno.test("fault: a source apiserver restart shorter than stale-after withdraws nothing", async () => {
  await faultWorld(async (world) => {
    await using _address = await addLocalAddress(eastAddress);
    const reflector = reflecting(world, 30_000);
    try {
      await invariantHolds("restart: before", world);
      await using readiness = await recordEndpointReadiness(world.host, shop);
      // Quiet first: its last event is long past when the restart begins.
      await delay(20_000);
      const stopped = performance.now();
      await world.east.stopApiserver();
      await delay(20_000 - (performance.now() - stopped));
      await world.east.startApiserver();
      await poll(() => reflector.reflector.sourceStates[0]?.connected || undefined, {
        description: "east reached again",
        intervalMs: 20,
      });
      await noteConvergence(
        "restart of 20 s: source reached again, from the apiserver's stop",
        performance.now() - stopped,
      );
      equal(readiness.notReady.length, 0, `not ready: ${readiness.notReady.join(", ")}`);
      equal(reflector.reflector.sourceStates[0]?.stale, false);
      await changeSource(world);
      await invariantHolds("restart shorter than stale-after", world);
      equal(readiness.notReady.length, 0, `not ready: ${readiness.notReady.join(", ")}`);
    } finally {
      await reflector.stop();
    }
  }, { eastServedAt: eastAddress });
});

Deno.test("fault: a quiet source, silent for longer than stale-after, is never stale", async () => {
  await faultWorld(async (world) => {
    const reflector = startReflector({
      host: world.west,
      sources: [{ name: "east", config: adminConfig(world.east), selector: exportSelector }],
      staleAfterMs: 3_000,
    });
    try {
      await invariantHolds("quiet: before", world);
      await using readiness = await recordEndpointReadiness(world.host, shop);
      const state = () => reflector.reflector.sourceStates[0];
      const contactBefore = state()?.lastContactMs ?? 0;
      await holds(() => state()?.connected === true && state()?.stale === false, {
        forMs: 15_000,
        intervalMs: 50,
        description: "east up and not stale while nothing changes",
      });
      // Contact went on being made, though no event arrived: probes answered.
      ok((state()?.lastContactMs ?? 0) > contactBefore + 5_000);
      equal(readiness.notReady.length, 0, `not ready: ${readiness.notReady.join(", ")}`);
      await invariantHolds("quiet source", world);
    } finally {
      await reflector.stop();
    }
  });
});
