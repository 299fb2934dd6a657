/**
 * Picks free TCP ports on loopback for servers the tests start.
 *
 * Ports are chosen at random below the kernel's ephemeral range
 * (`/proc/sys/net/ipv4/ip_local_port_range`), where the kernel never puts
 * the source port of an outgoing connection: a port from binding port 0
 * comes from that range, and so could be taken by any of the suite's many
 * client connections between its release and its server's bind. Each port
 * is checked by binding it; all of one call are held open together, so they
 * are distinct. Another test may still pick the same port before its
 * server binds it, which callers treat like any other start-up failure.
 *
 * @module
 */

/** Lowest port handed out: above the well-known and most registered service ports. */
const lowest = 10_000;

/** The first port of the kernel's ephemeral range (32768 where it cannot be read). */
function ephemeralStart(): number {
  try {
    const [low] = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range").trim()
      .split(/\s+/);
    const start = Number(low);
    return Number.isInteger(start) && start > lowest + 1_000 ? start : 32_768;
  } catch {
    return 32_768;
  }
}

/** Returns `count` distinct ports that were free on 127.0.0.1 a moment ago. */
export function freePorts(count: number): number[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(
      `Cannot pick free ports as 'count' must be a positive integer: current value is ${count}`,
    );
  }
  const end = ephemeralStart();
  const listeners: Deno.Listener[] = [];
  try {
    // Bounded: a range of thousands of ports has `count` free ones long before this runs out.
    for (let tries = 0; listeners.length < count && tries < 1_000; tries++) {
      const port = lowest + Math.floor(Math.random() * (end - lowest));
      try {
        listeners.push(Deno.listen({ hostname: "127.0.0.1", port }));
      } catch (error) {
        if (!(error instanceof Deno.errors.AddrInUse)) throw error;
      }
    }
    if (listeners.length < count) {
      throw new Error(`Cannot pick ${count} free ports between ${lowest} and ${end - 1}`);
    }
    return listeners.map((listener) => (listener.addr as Deno.NetAddr).port);
  } finally {
    for (const listener of listeners) listener.close();
  }
}
