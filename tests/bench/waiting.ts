/**
 * What keys waiting for a missing host namespace cost, between two real
 * local clusters ("source" and "host"), with `createNamespaces: false`:
 * - the host apiserver's request rate while 2,000 exported Services of a
 *   namespace the host lacks wait (read from the apiserver's own
 *   `apiserver_request_total`, over a window once every key was tried, so
 *   it counts every client of the host: the Reflector and the
 *   control plane's own controllers, measured alone first as a baseline);
 * - of those, the GETs of namespaces;
 * - the time until a new Service of a namespace the host has is mirrored
 *   while they wait.
 *
 * @module
 */

import type { Service } from "kubernetes-types/core/v1.d.ts";
import { type Cluster, startCluster } from "../cluster/mod.ts";
import { adminConfig } from "../support/client_configs.ts";
import { delay, poll } from "../support/poll.ts";
import { startReflector } from "../support/reflector_harness.ts";
import { namespaces, services } from "../../lib/kube/resource.ts";
import { RestClient } from "../../lib/kube/rest.ts";
import { Transport } from "../../lib/kube/transport.ts";
import type { BenchCase } from "./report.ts";
import { progressLine } from "./_progress.ts";

/** Options of {@linkcode benchWaiting}. */
export interface WaitingBenchOptions {
  /** Exported Services of the namespace the host lacks. Defaults to 2000. */
  keys?: number;
  /** How long the request rate is measured. Defaults to 20 000 ms. */
  windowMs?: number;
  /** Stops the benchmark (clusters and Reflector are still torn down). */
  signal?: AbortSignal;
  /** Progress lines. Defaults to stderr. */
  log?: (line: string) => void;
}

/** Requests the host apiserver has answered: all of them, and the GETs of namespaces. */
async function requestTotals(cluster: Cluster): Promise<{ all: number; namespaceGets: number }> {
  const text = await (await cluster.fetch("/metrics")).text();
  let all = 0;
  let namespaceGets = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    all += value;
    if (line.includes('resource="namespaces"') && line.includes('verb="GET"')) {
      namespaceGets += value;
    }
  }
  return { all, namespaceGets };
}

/** Requests per second answered by `host` over `windowMs`. */
async function rates(host: Cluster, windowMs: number, signal?: AbortSignal) {
  const before = await requestTotals(host);
  const started = performance.now();
  await delay(windowMs, signal);
  const after = await requestTotals(host);
  const seconds = (performance.now() - started) / 1000;
  return {
    all: (after.all - before.all) / seconds,
    namespaceGets: (after.namespaceGets - before.namespaceGets) / seconds,
  };
}

/** Runs the benchmark on fresh clusters and returns its cases. */
export async function benchWaiting(options: WaitingBenchOptions = {}): Promise<BenchCase[]> {
  const { keys = 2000, windowMs = 20_000, signal } = options;
  const log = options.log ?? progressLine;
  const [source, host] = await Promise.all(
    ["wait-source", "wait-host"].map((name) =>
      startCluster({ name, ...(signal ? { signal } : {}) })
    ),
  ) as [Cluster, Cluster];
  using transport = new Transport(adminConfig(source));
  const rest = new RestClient(transport);
  try {
    await rest.create(namespaces, { metadata: { name: "absent" } });
    await rest.create(namespaces, { metadata: { name: "present" } });
    await host.kubectl("create", "namespace", "present");
    log(`creating ${keys} Services in namespace absent of the source`);
    for (let index = 0; index < keys; index++) {
      await rest.create(services, exported("absent", `svc-${index}`));
    }
    const baseline = await rates(host, windowMs, signal);
    log(`baseline: ${baseline.all.toFixed(1)} requests/s`);
    const config = adminConfig(source);
    const reflector = startReflector({
      host,
      sources: [{ name: "source", config, selector: "export=yes" }],
      createNamespaces: false,
      waitMs: 5_000,
    });
    try {
      await poll(() => reflector.attempts.size >= keys || undefined, {
        description: `every one of ${keys} keys tried`,
        timeoutMs: 120_000,
        ...(signal ? { signal } : {}),
      });
      const waiting = await rates(host, windowMs, signal);
      log(`waiting: ${waiting.all.toFixed(1)} requests/s`);
      const started = performance.now();
      await rest.create(services, exported("present", "fresh"));
      await poll(async () => {
        const mirror = await host.kubectl("get", "service", "fresh", "-n", "present", "-o", "name")
          .catch(() => "");
        return mirror !== "" || undefined;
      }, { description: "the fresh Service mirrored", timeoutMs: 120_000, intervalMs: 50 });
      const freshMs = performance.now() - started;
      return [
        { name: "host requests/s, no Reflector (baseline)", unit: "1/s", samples: [baseline.all] },
        { name: `host requests/s, ${keys} keys waiting`, unit: "1/s", samples: [waiting.all] },
        {
          name: `host namespace GETs/s, ${keys} keys waiting`,
          unit: "1/s",
          samples: [waiting.namespaceGets],
        },
        { name: `new Service mirrored, ${keys} keys waiting`, unit: "ms", samples: [freshMs] },
      ];
    } finally {
      await reflector.stop();
    }
  } finally {
    await Promise.all([source.stop(), host.stop()]);
  }
}

function exported(namespace: string, name: string): Service {
  return {
    metadata: { name, namespace, labels: { export: "yes" } },
    spec: { ports: [{ name: "http", port: 80 }] },
  };
}
