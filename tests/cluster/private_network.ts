/**
 * The network a data-plane test runs in: a private network namespace of the
 * test process (made by `scripts/in_private_network.sh`, which `deno task
 * test` and `deno task dev` run under), never the machine's own.
 *
 * Inside it, one simulated node: a veth pair whose first end holds
 * {@linkcode nodeAddress} and a route for the host's Service range, so that
 * a connection to a ClusterIP is routed and kube-proxy's DNAT applies; Pod
 * and DNS addresses go on `lo` as /32s, so every listener and client of the
 * process (and of its children) reaches every other. This is the flat
 * network the project assumes between clusters, in one namespace.
 *
 * Invariants: nothing here runs outside a private namespace (each entry
 * point checks first); the node network exists while at least one holder
 * has it and is removed by the last release; an address added is removed by
 * its own disposal.
 *
 * @module
 */

/** The simulated node's InternalIP, on the first end of the veth pair. */
export const nodeAddress = "10.250.0.1";
/** Where the data-plane cluster's CoreDNS listens (port 53). */
export const dnsAddress = "10.250.0.10";

const nodeLink = "sr-node";
const peerLink = "sr-peer";

/** The data plane cannot run in this process: the message names what is missing. */
export class PrivateNetworkError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PrivateNetworkError";
  }
}

/**
 * Throws a {@linkcode PrivateNetworkError} unless this process runs in a
 * network namespace of its own with `ip` and `nft` available.
 */
export async function assertPrivateNetwork(): Promise<void> {
  checked ??= check();
  await checked;
}
let checked: Promise<void> | undefined;

async function check(): Promise<void> {
  // The script records the namespace it made; any other, the machine's
  // included, is refused.
  const made = Deno.env.get("SERVICE_REFLECTOR_NETNS");
  if (!made || made !== await Deno.readLink("/proc/self/ns/net")) {
    throw new PrivateNetworkError(
      "Cannot run the data plane outside a private network namespace: run it under scripts/in_private_network.sh (deno task test does)",
    );
  }
  const tools = [["ip", "-V", "iproute2"], ["nft", "--version", "nftables"]] as const;
  for (const [tool, versionFlag, pkg] of tools) {
    const found = await new Deno.Command(tool, {
      args: [versionFlag],
      stdout: "null",
      stderr: "null",
    })
      .output().then((output) => output.success, () => false);
    if (!found) {
      throw new PrivateNetworkError(
        `Cannot run the data plane: '${tool}' is missing (Debian package ${pkg}; scripts/test.sh installs it)`,
      );
    }
  }
}

let holders = 0;
let setUp: Promise<void> | undefined;

/**
 * Makes the node network (veth pair, node address, a route for the IPv4
 * Service range `serviceRange`) if no one holds it yet; the returned
 * handle's disposal releases it, and the last release removes it.
 */
export async function holdNodeNetwork(serviceRange: string): Promise<AsyncDisposable> {
  await assertPrivateNetwork();
  holders++;
  try {
    setUp ??= makeNodeNetwork(serviceRange);
    await setUp;
  } catch (error) {
    holders--;
    setUp = undefined;
    throw error;
  }
  let released = false;
  return {
    async [Symbol.asyncDispose]() {
      if (released) return;
      released = true;
      if (--holders > 0) return;
      setUp = undefined;
      await ip("link", "delete", nodeLink).catch(() => {});
    },
  };
}

async function makeNodeNetwork(serviceRange: string): Promise<void> {
  await ip("link", "set", "lo", "up");
  // A pair left by a process that was killed is replaced, not reused.
  await ip("link", "delete", nodeLink).catch(() => {});
  await ip("link", "add", nodeLink, "type", "veth", "peer", "name", peerLink);
  await ip("address", "add", `${nodeAddress}/24`, "dev", nodeLink);
  await ip("link", "set", nodeLink, "up");
  await ip("link", "set", peerLink, "up");
  await ip("route", "replace", serviceRange, "dev", nodeLink, "src", nodeAddress);
}

/** Puts `address` on `lo` as a /32 (or /128) until the handle is disposed. */
export async function addLocalAddress(address: string): Promise<AsyncDisposable> {
  await assertPrivateNetwork();
  const prefix = address.includes(":") ? `${address}/128` : `${address}/32`;
  await ip("address", "replace", prefix, "dev", "lo");
  let removed = false;
  return {
    async [Symbol.asyncDispose]() {
      if (removed) return;
      removed = true;
      await ip("address", "delete", prefix, "dev", "lo").catch(() => {});
    },
  };
}

/** Runs `ip` with `args`; throws with its stderr when it fails. */
async function ip(...args: string[]): Promise<void> {
  const { success, stderr } = await new Deno.Command("ip", {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) {
    throw new PrivateNetworkError(
      `ip ${args.join(" ")} failed: ${new TextDecoder().decode(stderr).trim()}`,
    );
  }
}
