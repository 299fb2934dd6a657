/**
 * A client of the data plane as a Pod would be one: names resolved by the
 * cluster's CoreDNS (never the machine's resolver) and HTTP requests that
 * each open a new connection, so kube-proxy picks an endpoint for each.
 *
 * @module
 */

import type { Service } from "kubernetes-types/core/v1.d.ts";
import type { NameServer } from "../cluster/data_plane.ts";
import { type ApiFetcher, getJson } from "./api_json.ts";
import { poll } from "./poll.ts";

const answerTimeoutMs = 2_000;

/** The A records of `name` from `nameServer`; empty when the name does not exist. */
export async function resolveIPv4(nameServer: NameServer, name: string): Promise<string[]> {
  try {
    return (await Deno.resolveDns(name, "A", {
      nameServer,
      signal: AbortSignal.timeout(answerTimeoutMs),
    })).sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** The SRV records of `name` from `nameServer`, sorted by target. */
export async function resolveSrv(nameServer: NameServer, name: string): Promise<Deno.SrvRecord[]> {
  const records = await Deno.resolveDns(name, "SRV", {
    nameServer,
    signal: AbortSignal.timeout(answerTimeoutMs),
  });
  return records.sort((a, b) => a.target.localeCompare(b.target));
}

/** The PTR records of IPv4 `address` from `nameServer`. */
export async function resolvePtr(nameServer: NameServer, address: string): Promise<string[]> {
  const reversed = `${address.split(".").reverse().join(".")}.in-addr.arpa`;
  return (await Deno.resolveDns(reversed, "PTR", {
    nameServer,
    signal: AbortSignal.timeout(answerTimeoutMs),
  })).sort();
}

/** The ClusterIP of Service `namespace/name` of `api`, once the Service exists and has one. */
export async function clusterIPOf(
  api: ApiFetcher,
  namespace: string,
  name: string,
): Promise<string> {
  return await poll(async () => {
    const path = `/api/v1/namespaces/${namespace}/services/${name}`;
    return (await getJson<Service>(api, path)).spec?.clusterIP || undefined;
  }, { description: `the ClusterIP of Service ${namespace}/${name}` });
}

/** Options of {@linkcode FreshConnections.answeredBy}. */
export interface AnsweredByOptions {
  /** Requests per sample. */
  sampleSize: number;
  /** Fail a sample that holds an answer outside `expected`. Defaults to false. */
  only?: boolean;
  /** Give up after this long. Defaults to 30 000 ms. */
  timeoutMs?: number;
  /** Pause between samples. Defaults to 100 ms. */
  intervalMs?: number;
  /** Aborts the wait. */
  signal?: AbortSignal | undefined;
}

/** A plain HTTP client without a connection pool: every request connects anew. */
export class FreshConnections implements Disposable {
  readonly #client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });

  /** GETs `http://address:port/` and returns the body's first line (a Pod's answer). */
  async get(address: string, port: number): Promise<string> {
    const response = await fetch(`http://${address}:${port}/`, {
      client: this.#client,
      signal: AbortSignal.timeout(answerTimeoutMs),
    });
    const body = await response.text();
    if (!response.ok) throw new Error(`GET ${address}:${port} answered HTTP ${response.status}`);
    return body.trim();
  }

  /** The distinct answers of `requests` GETs, each on a new connection. */
  async answers(address: string, port: number, requests: number): Promise<Set<string>> {
    const seen = new Set<string>();
    for (let index = 0; index < requests; index++) seen.add(await this.get(address, port));
    return seen;
  }

  /**
   * Requests `address:port` in samples until every answer of `expected` was
   * seen, and returns the answers seen.
   */
  async answeredBy(
    address: string,
    port: number,
    expected: readonly string[],
    options: AnsweredByOptions,
  ): Promise<Set<string>> {
    const { sampleSize, only = false, timeoutMs, intervalMs, signal } = options;
    const seen = new Set<string>();
    await poll(async () => {
      for (const answer of await this.answers(address, port, sampleSize)) seen.add(answer);
      const outside = [...seen].filter((answer) => !expected.includes(answer));
      if (only && outside.length > 0) {
        throw new Error(`answers from outside ${expected.join(", ")}: ${outside.join(", ")}`);
      }
      return expected.every((answer) => seen.has(answer)) || undefined;
    }, {
      description: `${address}:${port} answered by ${expected.join(", ")}`,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(intervalMs === undefined ? {} : { intervalMs }),
      ...(signal ? { signal } : {}),
    });
    return seen;
  }

  [Symbol.dispose](): void {
    this.#client.close();
  }
}
