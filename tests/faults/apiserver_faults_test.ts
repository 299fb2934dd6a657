/**
 * Fault cases of the API servers around a running Reflector: the source's
 * or the host's kube-apiserver stopped in the middle of the initial sync
 * and started again, and etcd compacted under a restarted apiserver so
 * that every watch resumes into 410 Gone, read directly and through an
 * Emitter. Sources change while things are down or just after, so the
 * Reflector must catch up, not merely keep what it had. Each case ends
 * with the shared invariant.
 */
import { adminConfig } from "../support/client_configs.ts";
import { poll } from "../support/poll.ts";
import { startReflector } from "../support/reflector_harness.ts";
import { runningEmitter } from "../support/running_emitter.ts";
import type { ClientConfig } from "../../lib/kube/config/client_config.ts";
import {
  applyAll,
  exportedObjects,
  exportSelector,
  type FaultWorld,
  faultWorld,
} from "./fault_world.ts";
import { invariantHolds } from "./invariant.ts";

const services = 150;

/** Starts a Reflector of the world reading east through `config`, once it has written `writes` times. */
async function reflectingMidSync(world: FaultWorld, writes: number, config?: ClientConfig) {
  const reflector = startReflector({
    host: world.west,
    sources: [{
      name: "east",
      config: config ?? adminConfig(world.east),
      selector: exportSelector,
    }],
  });
  await poll(() => reflector.writes.length >= writes || undefined, {
    description: `${writes} writes`,
    intervalMs: 10,
  });
  return reflector;
}

/** Changes east: one Service deleted, one added, one's endpoints replaced. */
async function changeSource(world: FaultWorld): Promise<void> {
  await world.east.kubectl("delete", "service", "svc-0", "-n", "shop");
  await applyAll(world.east, [...exportedObjects(services + 1, 3), exportedObjects(1, 5)[1]]);
}

Deno.test("fault: the source apiserver stopped mid-sync and started again converges, changes included", async () => {
  await faultWorld(async (world) => {
    const reflector = await reflectingMidSync(world, 20);
    try {
      await world.east.stopApiserver();
      await world.east.startApiserver();
      await changeSource(world);
      await invariantHolds("source apiserver restarted mid-sync", world);
    } finally {
      await reflector.stop();
    }
  }, { services });
});

Deno.test("fault: the host apiserver stopped mid-sync while the source changes converges once it is back", async () => {
  await faultWorld(async (world) => {
    const reflector = await reflectingMidSync(world, 20);
    try {
      await world.west.stopApiserver();
      await changeSource(world);
      await world.west.startApiserver();
      await invariantHolds("host apiserver stopped mid-sync", world);
    } finally {
      await reflector.stop();
    }
  }, { services });
});

/** Converges, changes east, compacts its etcd and restarts its apiserver, changes it again: every watch resumes into 410. */
async function compactedUnder(world: FaultWorld): Promise<void> {
  await invariantHolds("before compaction", world);
  await world.east.kubectl("delete", "service", "svc-2", "-n", "shop");
  await world.east.compact();
  await world.east.stopApiserver();
  await world.east.startApiserver();
  await changeSource(world);
}

Deno.test("fault: etcd compaction and an apiserver restart (410 on every watch) converge, read directly", async () => {
  await faultWorld(async (world) => {
    const reflector = await reflectingMidSync(world, 1);
    try {
      await compactedUnder(world);
      await invariantHolds("compaction + restart, direct", world);
    } finally {
      await reflector.stop();
    }
  }, { services: 30 });
});

Deno.test("fault: etcd compaction and apiserver and Emitter restarts (410 on every watch) converge, read through the Emitter", async () => {
  await faultWorld(async (world) => {
    const first = await runningEmitter(world.east);
    const reflector = await reflectingMidSync(world, 1, first.config);
    try {
      await compactedUnder(world);
      // A new Emitter on the same port: its versions are new, so the Reflector's watches resume into 410 too.
      await first.stop();
      await using second = await runningEmitter(world.east, {
        port: Number(new URL(first.url).port),
      });
      await world.east.kubectl("delete", "service", "svc-3", "-n", "shop");
      await invariantHolds("compaction + restarts, through an Emitter", world);
      await second.stop();
    } finally {
      await first.stop();
      await reflector.stop();
    }
  }, { services: 30 });
});
