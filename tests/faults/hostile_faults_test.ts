/**
 * The fault case of hostile sources: loopback servers next to the healthy
 * east that send garbage lines, lines longer than any event may be,
 * wrongly typed objects, lists that never end, and a list that drips a
 * byte at a time. While they misbehave, the host says what east says at
 * every look for seconds on end, before and after east changes, and it
 * follows the change; the shared invariant closes the case.
 */
import {
  eventLine,
  type HostileRequest,
  hostileSource,
  listOf,
  watchOf,
} from "../support/hostile_source.ts";
import { adminConfig } from "../support/client_configs.ts";
import { holds } from "../support/holds.ts";
import { startReflector } from "../support/reflector_harness.ts";
import {
  applyAll,
  exportedObjects,
  exportSelector,
  type FaultWorld,
  faultWorld,
  shop,
} from "./fault_world.ts";
import { converged, type ConvergedOptions, invariantHolds } from "./invariant.ts";

const quiet = (request: HostileRequest) => request.watch ? watchOf([]) : listOf([]);
const encoder = new TextEncoder();

/** A list body that sends one byte every `everyMs`, for as long as the client reads. */
function drip(everyMs: number): Response {
  let timer: ReturnType<typeof setInterval> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode('{"metadata":{"resourceVersion":"1"},"items":['));
      timer = setInterval(() => controller.enqueue(encoder.encode(" ")), everyMs);
    },
    cancel() {
      clearInterval(timer);
    },
  });
  return new Response(body, { headers: { "content-type": "application/json" } });
}

/**
 * Looks again and again for `forMs` (each look one reading, no wait) that
 * the host's mirrors equal the sources, and fails naming the difference at
 * the first look that finds one.
 */
async function staysConverged(
  world: FaultWorld,
  options: ConvergedOptions,
  forMs: number,
): Promise<void> {
  let difference: Error | undefined;
  const look = () =>
    converged(world.host, world.sources, { ...options, timeoutMs: 0 }).then(() => true, (error) => {
      difference = error;
      return false;
    });
  await holds(look, {
    description: "the host's mirrors to equal the sources",
    forMs,
    intervalMs: 100,
  }).catch((error) => {
    throw new Error(`${error.message}: ${difference?.message}`, { cause: difference });
  });
}

Deno.test("fault: hostile sources next to a healthy one: the healthy one stays mirrored while they misbehave and its changes are followed", async () => {
  await faultWorld(async (world) => {
    await using garbage = hostileSource("garbage", (request) => {
      if (!request.watch) return listOf([]);
      return watchOf(["not json at all", '{"type":', "[1,2,3]"], { closeAfterMs: 1_100 });
    });
    await using long = hostileSource("long", (request) => {
      if (!request.watch) return listOf([]);
      return watchOf([eventLine("ADDED", { metadata: { name: "x".repeat(300_000) } })]);
    }, { maxEventBytes: 64 * 1024 });
    await using typed = hostileSource("typed", (request) => {
      if (request.watch) return quiet(request);
      return request.resource === "services"
        ? listOf([
          { metadata: { name: 7, namespace: shop, resourceVersion: "1" } },
          { metadata: { name: "svc-0", namespace: [shop], resourceVersion: "1" } },
          {
            metadata: { name: "svc-1", namespace: shop, resourceVersion: "1" },
            spec: { ports: "80" },
          },
        ])
        : listOf([{
          metadata: {
            name: "svc-2-x",
            namespace: shop,
            resourceVersion: "1",
            labels: { "kubernetes.io/service-name": "svc-2" },
          },
          addressType: "IPv4",
          endpoints: [{ addresses: ["999.1.1.1"] }],
        }]);
    });
    await using endless = hostileSource("endless", (request) => {
      if (request.watch || request.resource !== "services") return quiet(request);
      const page = Number(request.query.get("continue") ?? "0") + 1;
      return listOf([], "1", String(page));
    }, { maxListPages: 20 });
    await using slow = hostileSource("slow", (request) => {
      if (request.watch || request.resource !== "services") return quiet(request);
      return drip(200);
    });
    const hostile = [garbage, long, typed, endless, slow];
    const reflector = startReflector({
      host: world.west,
      sources: [
        { name: "east", config: adminConfig(world.east), selector: exportSelector },
        ...hostile.map((source) => source.options),
      ],
    });
    const unknown = { unsynced: hostile.map((source) => source.options.name) };
    try {
      await invariantHolds("hostile sources next to a healthy one", world, unknown);
      // Long enough for every hostile source to fail and retry several times.
      await staysConverged(world, unknown, 4_000);
      await world.east.kubectl("delete", "service", "svc-0", "-n", shop);
      await applyAll(world.east, exportedObjects(40, 3));
      await invariantHolds(
        "a healthy source's changes while hostile ones misbehave",
        world,
        unknown,
      );
      await staysConverged(world, unknown, 4_000);
    } finally {
      await reflector.stop();
    }
  }, { services: 10 });
});
