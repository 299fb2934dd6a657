/**
 * What the servers' connection bounds cost per request: the project's
 * `serve()` (a bounded accept loop in front of `node:http`, with head
 * deadlines) next to a bare `Deno.serve` (no bounds), answering the same
 * handler on loopback, in rounds that alternate which goes first:
 * - the latency of one GET answered with a 1 KiB JSON body, on a kept-alive
 *   connection, requests one after another (p50 and p99 per round);
 * - the same with a new connection for every request (the accept path);
 * - requests per second with 16 kept-alive clients at once;
 * - the latency of a GET answered with 256 KiB.
 *
 * Clients and servers share this process, so every figure includes the
 * client's own work, which is the same for both servers: the difference
 * is the server's.
 *
 * @module
 */

import { serve } from "../../lib/emitter/serve.ts";
import { type BenchCase, percentile } from "./report.ts";

/** Options of {@linkcode benchServe}. */
export interface ServeBenchOptions {
  /** Rounds, each measuring both servers. Defaults to 6. */
  rounds?: number;
  /** Sequential requests timed per server and round. Defaults to 400. */
  requests?: number;
  /** How long throughput is measured per server and round, in ms. Defaults to 2000. */
  throughputMs?: number;
  /** Stops between rounds. */
  signal?: AbortSignal;
}

interface Running {
  url: string;
  stop(): Promise<void>;
}

const small = JSON.stringify({ kind: "Status", padding: "x".repeat(1000) });
const large = "y".repeat(256 * 1024);

function handler(request: Request): Response {
  const body = new URL(request.url).pathname === "/large" ? large : small;
  return new Response(body, { headers: { "content-type": "application/json" } });
}

const servers: Record<string, () => Promise<Running>> = {
  "serve()": async () => {
    const server = await serve(handler, { hostname: "127.0.0.1", port: 0 });
    return { url: `http://127.0.0.1:${server.port}`, stop: () => server.shutdown() };
  },
  "Deno.serve": () => {
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
    return Promise.resolve({
      url: `http://127.0.0.1:${server.addr.port}`,
      stop: () => server.shutdown(),
    });
  },
};

/** Milliseconds each of `requests` GETs of `url` took, one after another, through `client`. */
async function sequential(url: string, requests: number, fresh: boolean): Promise<number[]> {
  const times: number[] = [];
  let client = Deno.createHttpClient({ http2: false });
  try {
    for (let each = 0; each < requests; each++) {
      if (fresh && each > 0) {
        client.close();
        client = Deno.createHttpClient({ http2: false });
      }
      const started = performance.now();
      await (await fetch(url, { client })).arrayBuffer();
      times.push(performance.now() - started);
    }
  } finally {
    client.close();
  }
  return times;
}

/** Requests per second answered to `clients` kept-alive clients over `ms`. */
async function throughput(url: string, clients: number, ms: number): Promise<number> {
  const until = performance.now() + ms;
  let answered = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    using client = Deno.createHttpClient({ http2: false });
    while (performance.now() < until) {
      await (await fetch(url, { client })).arrayBuffer();
      answered++;
    }
  }));
  return answered / (ms / 1000);
}

/** Runs the benchmark; cases are per server, one sample per round. */
export async function benchServe(options: ServeBenchOptions = {}): Promise<BenchCase[]> {
  const { rounds = 6, requests = 400, throughputMs = 2000, signal } = options;
  const samples = new Map<string, { unit: string; samples: number[] }>();
  const add = (name: string, unit: string, value: number) => {
    const entry = samples.get(name) ?? { unit, samples: [] };
    entry.samples.push(value);
    samples.set(name, entry);
  };
  const names = Object.keys(servers);
  for (let round = 0; round < rounds; round++) {
    signal?.throwIfAborted();
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const running = await (servers[name] as () => Promise<Running>)();
      try {
        await sequential(`${running.url}/`, 50, false); // warm-up
        const kept = await sequential(`${running.url}/`, requests, false);
        add(`${name}: 1 KiB GET, kept-alive, p50`, "ms", percentile(kept, 50));
        add(`${name}: 1 KiB GET, kept-alive, p99`, "ms", percentile(kept, 99));
        const fresh = await sequential(`${running.url}/`, requests / 4, true);
        add(`${name}: 1 KiB GET, new connection each, p50`, "ms", percentile(fresh, 50));
        const big = await sequential(`${running.url}/large`, requests / 4, false);
        add(`${name}: 256 KiB GET, kept-alive, p50`, "ms", percentile(big, 50));
        add(
          `${name}: 1 KiB GETs per second, 16 clients`,
          "req/s",
          await throughput(`${running.url}/`, 16, throughputMs),
        );
      } finally {
        await running.stop();
      }
    }
  }
  return [...samples].map(([name, { unit, samples }]) => ({ name, unit, samples }));
}
