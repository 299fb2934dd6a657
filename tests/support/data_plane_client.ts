/**
 * A client of the data plane as a Pod would be one: names resolved by the
 * cluster's CoreDNS (never the machine's resolver) and HTTP requests that
 * each open a new connection, so kube-proxy picks an endpoint for each.
 *
 * @module
 */

import type { NameServer } from "../cluster/data_plane.ts";

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

  [Symbol.dispose](): void {
    this.#client.close();
  }
}
