/**
 * A network partition between this process and one local address and
 * port, made with nftables in the private network namespace the tests run
 * in: every packet to it and from it is dropped, as a dead tunnel or a
 * powered-off peer would. Connections that are open stay open and receive
 * nothing; new connections get no answer. Nothing is refused or reset, so
 * only a client's own bounds can tell.
 *
 * @module
 */

import { assertPrivateNetwork, PrivateNetworkError } from "./private_network.ts";

/** Options of {@linkcode dropPackets}. */
export interface PacketDropOptions {
  /** The address cut off (IPv4), e.g. one put on `lo` with `addLocalAddress`. */
  address: string;
  /** Its TCP port. */
  port: number;
}

/** A partition in place; disposing it heals it. */
export interface PacketDrop extends AsyncDisposable {
  /** The nftables table holding the rules. */
  readonly table: string;
  /** Removes the rules: packets flow again. Idempotent. */
  heal(): Promise<void>;
}

let tables = 0;

/** Drops every TCP packet to and from `address:port` until healed. */
export async function dropPackets(options: PacketDropOptions): Promise<PacketDrop> {
  const { address, port } = options;
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(address) || !Number.isInteger(port)) {
    throw new TypeError(
      `Cannot drop packets as an IPv4 address and an integer port are required: got ${address}:${port}`,
    );
  }
  await assertPrivateNetwork();
  const table = `sr-partition-${Deno.pid}-${++tables}`;
  // Loopback packets pass the output hook once each way: requests carry
  // the address and port as destination, answers as source.
  await nft(
    ["-f", "-"],
    `table ip ${table} {
      chain output {
        type filter hook output priority 0; policy accept;
        ip daddr ${address} tcp dport ${port} drop
        ip saddr ${address} tcp sport ${port} drop
      }
    }`,
  );
  let healed = false;
  const heal = async () => {
    if (healed) return;
    healed = true;
    await nft(["delete", "table", "ip", table]);
  };
  return { table, heal, [Symbol.asyncDispose]: heal };
}

/** Runs `nft` with `args` (and `input` on stdin); throws with its stderr when it fails. */
async function nft(args: string[], input?: string): Promise<void> {
  const child = new Deno.Command("nft", {
    args,
    stdin: input === undefined ? "null" : "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  if (input !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
  }
  const { success, stderr } = await child.output();
  if (!success) {
    throw new PrivateNetworkError(
      `nft ${args.join(" ")} failed: ${new TextDecoder().decode(stderr).trim()}`,
    );
  }
}
