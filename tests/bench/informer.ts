/**
 * The informer's cost and speed on a real local apiserver:
 * - heap bytes held per cached Service (after GC, managedFields dropped as
 *   the informer does by default);
 * - list throughput: Services per second from `run()` to `synced()`;
 * - watch throughput: Services per second from the first create of a burst
 *   to the last one in the cache (bounded by the apiserver's write rate,
 *   which is reported alongside).
 *
 * Needs `--v8-flags=--expose-gc` (the bench task passes it).
 *
 * @module
 */

import type { Service } from "kubernetes-types/core/v1.d.ts";
import { startCluster } from "../cluster/mod.ts";
import { adminConfig } from "../support/client_configs.ts";
import { poll } from "../support/poll.ts";
import { Informer } from "../../lib/kube/informer.ts";
import { namespaces, services } from "../../lib/kube/resource.ts";
import { RestClient } from "../../lib/kube/rest.ts";
import { Transport } from "../../lib/kube/transport.ts";
import type { BenchCase } from "./report.ts";

/** Options of {@linkcode benchInformer}. */
export interface InformerBenchOptions {
  /** Services listed. Defaults to 2000. */
  objects?: number;
  /** Services created during the watch measurement. Defaults to 500. */
  burst?: number;
  /** Repetitions. Defaults to 3. */
  runs?: number;
  /** Concurrent writers. Defaults to 16. */
  writers?: number;
}

function service(namespace: string, name: string): Service {
  return {
    metadata: {
      name,
      namespace,
      labels: { app: name, "service-reflector.test/selected": "true", tier: "backend" },
      annotations: { "example.com/owner": "team-a" },
    },
    spec: {
      selector: { app: name },
      ports: [{ name: "http", port: 80, targetPort: 8080 }, {
        name: "grpc",
        port: 9090,
        protocol: "TCP",
      }],
    },
  };
}

async function createAll(
  rest: RestClient,
  namespace: string,
  names: string[],
  writers: number,
): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: writers }, async () => {
    while (next < names.length) {
      const name = names[next++] as string;
      await rest.create(services, service(namespace, name));
    }
  }));
}

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    throw new Error(
      "Cannot measure memory as gc() is not exposed: run with --v8-flags=--expose-gc",
    );
  }
  gc();
  gc();
  return Deno.memoryUsage().heapUsed;
}

/** Runs the informer benchmark on a fresh cluster. */
export async function benchInformer(options: InformerBenchOptions = {}): Promise<BenchCase[]> {
  const { objects = 2000, burst = 500, runs = 3, writers = 16 } = options;
  await using cluster = await startCluster({ name: "bench-informer" });
  using transport = new Transport(adminConfig(cluster));
  const rest = new RestClient(transport);
  await rest.create(namespaces, { metadata: { name: "listed" } });
  const created = performance.now();
  await createAll(
    rest,
    "listed",
    Array.from({ length: objects }, (_, index) => `svc-${index}`),
    writers,
  );
  const createRate = objects / ((performance.now() - created) / 1000);

  // Memory is measured once, first, in a warmed-up process: a store from an
  // earlier run can outlive its informer until a later collection, which
  // would make any later baseline wrong.
  const warmup = new Informer<Service>(rest, { type: services, namespace: "default" });
  const warm = new AbortController();
  const warming = warmup.run(warm.signal);
  await warmup.synced();
  warm.abort();
  await warming;
  const before = heapAfterGc();
  const held = new Informer<Service>(rest, { type: services, namespace: "listed" });
  const holding = new AbortController();
  const heldRun = held.run(holding.signal);
  await held.synced();
  const bytes = [(heapAfterGc() - before) / held.store.size];
  const encoded = [
    new TextEncoder().encode(JSON.stringify(held.store.list())).length / held.store.size,
  ];
  holding.abort();
  await heldRun;

  const listRates: number[] = [];
  const watchRates: number[] = [];
  const writeRates: number[] = [createRate];
  for (let run = 0; run < runs; run++) {
    const informer = new Informer<Service>(rest, { type: services, namespace: "listed" });
    const controller = new AbortController();
    const started = performance.now();
    const running = informer.run(controller.signal);
    await informer.synced();
    listRates.push(objects / ((performance.now() - started) / 1000));
    controller.abort();
    await running;
  }

  for (let run = 0; run < runs; run++) {
    const namespace = `burst-${run}`;
    await rest.create(namespaces, { metadata: { name: namespace } });
    const informer = new Informer<Service>(rest, { type: services, namespace });
    const controller = new AbortController();
    const running = informer.run(controller.signal);
    await informer.synced();
    const started = performance.now();
    await createAll(
      rest,
      namespace,
      Array.from({ length: burst }, (_, index) => `b-${index}`),
      writers,
    );
    writeRates.push(burst / ((performance.now() - started) / 1000));
    await poll(() => informer.store.size === burst ? true : undefined, {
      description: "the burst in the cache",
      intervalMs: 5,
      timeoutMs: 120_000,
    });
    watchRates.push(burst / ((performance.now() - started) / 1000));
    controller.abort();
    await running;
  }

  return [
    { name: `heap per cached Service (${objects} held)`, unit: "bytes", samples: bytes },
    { name: "JSON size per cached Service", unit: "bytes", samples: encoded },
    { name: `list throughput (${objects} Services)`, unit: "objects/s", samples: listRates },
    {
      name: `watch throughput (${burst} creates, ${writers} writers)`,
      unit: "objects/s",
      samples: watchRates,
    },
    { name: "apiserver create rate (same writers)", unit: "objects/s", samples: writeRates },
  ];
}
