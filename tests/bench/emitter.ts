/**
 * The Emitter's fan-out and footprint in front of a real local apiserver:
 * - delivery delay of one change to 200 concurrent watchers: from just
 *   before the write is sent to the apiserver until each watcher has read
 *   the event (the path includes the apiserver, the Emitter's informer, the
 *   view and one HTTP stream per watcher);
 * - resident memory (RSS) of this process with 5,000 Services served, next
 *   to its RSS before the Emitter started;
 * - the RSS (and V8 heap) added by 1,000 idle watches (from the current
 *   version, as informers resume), and by 100 watch-list watches (`sendInitialEvents`,
 *   each sent all 5,000 Services, then idle), with the event lines encoded
 *   for those (shared lines are encoded once). Their clients run in a child
 *   process, so this RSS is the Emitter's alone.
 *
 * The timed watchers and the Emitter share this process (and its event
 * loop), so the delays include the readers' own work.
 *
 * @module
 */

import type { Service } from "kubernetes-types/core/v1.d.ts";
import { startCluster } from "../cluster/mod.ts";
import { adminConfig } from "../support/client_configs.ts";
import { poll } from "../support/poll.ts";
import { Emitter } from "../../lib/emitter/emitter.ts";
import { serve } from "../../lib/emitter/serve.ts";
import { parseLabelSelector } from "../../lib/kube/label_selector.ts";
import { namespaces, services } from "../../lib/kube/resource.ts";
import { RestClient } from "../../lib/kube/rest.ts";
import { Transport } from "../../lib/kube/transport.ts";
import { type BenchCase, percentile } from "./report.ts";
import { measureWatches, rssAfterGc } from "./_idle_watches.ts";

/** Options of {@linkcode benchEmitter}. */
export interface EmitterBenchOptions {
  /** Services served. Defaults to 5000. */
  objects?: number;
  /** Concurrent watchers. Defaults to 200. */
  watchers?: number;
  /** Changes whose delivery is timed. Defaults to 20. */
  changes?: number;
  /** Concurrent writers while seeding. Defaults to 16. */
  writers?: number;
  /** Idle watches whose memory is measured. Defaults to 1000. */
  idleWatchers?: number;
  /** Watch-list watches (each sent every Service) whose memory is measured; 0 skips. Defaults to 100. */
  watchListWatchers?: number;
}

/** Runs the Emitter benchmark on a fresh cluster. */
export async function benchEmitter(options: EmitterBenchOptions = {}): Promise<BenchCase[]> {
  const { objects = 5000, watchers = 200, changes = 20, writers = 16 } = options;
  const { idleWatchers = 1000, watchListWatchers = 100 } = options;
  await using cluster = await startCluster({ name: "bench-emitter" });
  using transport = new Transport(adminConfig(cluster));
  const rest = new RestClient(transport);
  for (const name of ["bulk", "fan"]) await rest.create(namespaces, { metadata: { name } });
  let next = 0;
  await Promise.all(Array.from({ length: writers }, async () => {
    while (next < objects) {
      const index = next++;
      await rest.create<Service>(services, {
        metadata: {
          name: `svc-${index}`,
          namespace: "bulk",
          labels: { export: "yes", app: `svc-${index}` },
        },
        spec: {
          selector: { app: `svc-${index}` },
          ports: [{ name: "http", port: 80, targetPort: 8080 }],
        },
      });
    }
  }));
  await rest.create<Service>(services, {
    metadata: { name: "target", namespace: "fan", labels: { export: "yes" } },
    spec: { ports: [{ port: 80 }] },
  });

  const rssBefore = rssAfterGc();
  let encodes = 0;
  const emitter = new Emitter({
    rest,
    selector: parseLabelSelector("export=yes"),
    maxWatchers: watchers + idleWatchers + watchListWatchers + 10,
    onEncode: () => encodes++,
  });
  const controller = new AbortController();
  const running = emitter.run(controller.signal);
  // As the command serves it: the connection cap above every watch of the run.
  const server = await serve(emitter.handler, {
    hostname: "127.0.0.1",
    port: 0,
    maxConnections: watchers + idleWatchers + watchListWatchers + 10,
  });
  const url = `http://127.0.0.1:${server.port}`;
  try {
    await poll(() => emitter.ready || undefined, {
      description: "the Emitter to sync",
      timeoutMs: 120_000,
    });
    const rssServing = rssAfterGc();
    // Measured before the timed watchers, whose garbage would leave free
    // pages in the RSS for the idle watches to fill unseen.
    const memory = await watchMemory(url, emitter, { objects, idleWatchers, watchListWatchers }, {
      reset: () => encodes = 0,
      encodes: () => encodes,
    });

    // Each watcher notes when it reads the line carrying change number N.
    const received: number[][] = Array.from({ length: changes }, () => []);
    const watchAbort = new AbortController();
    const from =
      (await (await fetch(`${url}/api/v1/namespaces/fan/services?limit=1`)).json()).metadata
        .resourceVersion;
    const readers = await Promise.all(Array.from({ length: watchers }, async () => {
      const response = await fetch(
        `${url}/api/v1/namespaces/fan/services?watch=1&resourceVersion=${from}`,
        {
          signal: watchAbort.signal,
        },
      );
      // Wrapped: returning the promise itself would make this await the
      // whole stream.
      return {
        done: (async () => {
          let buffered = "";
          try {
            for await (
              const chunk of (response.body as ReadableStream<Uint8Array>).pipeThrough(
                new TextDecoderStream(),
              )
            ) {
              buffered += chunk;
              let newline;
              while ((newline = buffered.indexOf("\n")) >= 0) {
                const match = buffered.slice(0, newline).match(/"change":"(\d+)"/);
                buffered = buffered.slice(newline + 1);
                if (match) received[Number(match[1])]?.push(performance.now());
              }
            }
          } catch {
            // Aborted at the end.
          }
        })(),
      };
    }));
    await poll(() => emitter.watchers === watchers || undefined, {
      description: "every watcher to connect",
    });

    const delays: number[] = [];
    for (let change = 0; change < changes; change++) {
      const sent = performance.now();
      await rest.patch(services, "target", {
        metadata: { annotations: { change: String(change) } },
      }, {
        namespace: "fan",
        patchType: "merge",
      });
      await poll(() => received[change]?.length === watchers || undefined, {
        description: `change ${change} at every watcher`,
        intervalMs: 2,
      });
      delays.push(...(received[change] ?? []).map((at) => at - sent));
    }
    watchAbort.abort();
    await Promise.all(readers.map((reader) => reader.done));
    delays.sort((a, b) => a - b);
    const summary = (p: number) => percentile(delays, p);
    return [
      { name: `delivery delay to ${watchers} watchers, p50`, unit: "ms", samples: [summary(50)] },
      { name: `delivery delay to ${watchers} watchers, p99`, unit: "ms", samples: [summary(99)] },
      { name: `delivery delay to ${watchers} watchers, max`, unit: "ms", samples: [summary(100)] },
      { name: "process RSS before the Emitter", unit: "MiB", samples: [rssBefore / 2 ** 20] },
      {
        name: `process RSS serving ${objects} Services`,
        unit: "MiB",
        samples: [rssServing / 2 ** 20],
      },
      ...memory,
    ];
  } finally {
    controller.abort();
    await running;
    await server.shutdown();
  }
}

/** The idle-watch and watch-list memory cases (see the module doc). */
async function watchMemory(
  url: string,
  emitter: Emitter,
  sizes: { objects: number; idleWatchers: number; watchListWatchers: number },
  counter: { reset: () => void; encodes: () => number },
): Promise<BenchCase[]> {
  const { objects, idleWatchers, watchListWatchers } = sizes;
  const idle = await measureWatches({
    url:
      `${url}/api/v1/services?watch=1&allowWatchBookmarks=true&resourceVersion=${emitter.resourceVersion}`,
    count: idleWatchers,
  });
  const added = idle.open - idle.before;
  const cases: BenchCase[] = [
    { name: "process RSS before the idle watches", unit: "MiB", samples: [idle.before / 2 ** 20] },
    {
      name: `RSS added by ${idleWatchers} idle watches`,
      unit: "MiB",
      samples: [added / 2 ** 20],
    },
    { name: "RSS per idle watch", unit: "KiB", samples: [added / idleWatchers / 1024] },
    {
      name: "V8 heap per idle watch",
      unit: "KiB",
      samples: [(idle.heapOpen - idle.heapBefore) / idleWatchers / 1024],
    },
  ];
  if (watchListWatchers === 0) return cases;
  counter.reset();
  const list = await measureWatches({
    url:
      `${url}/api/v1/services?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
    count: watchListWatchers,
    until: "initial-events-end",
  });
  return [
    ...cases,
    {
      name: `RSS added by ${watchListWatchers} watch-lists of ${objects} Services`,
      unit: "MiB",
      samples: [(list.open - list.before) / 2 ** 20],
    },
    {
      name: `lines encoded for ${watchListWatchers} watch-lists of ${objects} Services`,
      unit: "lines",
      samples: [counter.encodes()],
    },
    { name: `time to send ${watchListWatchers} watch-lists`, unit: "ms", samples: [list.startMs] },
  ];
}
