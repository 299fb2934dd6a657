/**
 * Picks free TCP ports on loopback by binding port 0 and releasing it.
 *
 * All listeners of one call are held open together, so the ports of one
 * call are distinct; another process may still take a port before its user
 * binds it, which callers treat like any other start-up failure.
 *
 * @module
 */

/** Returns `count` distinct ports that were free on 127.0.0.1 a moment ago. */
export function freePorts(count: number): number[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(
      `Cannot pick free ports as 'count' must be a positive integer: current value is ${count}`,
    );
  }
  const listeners = Array.from(
    { length: count },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  try {
    return listeners.map((listener) => (listener.addr as Deno.NetAddr).port);
  } finally {
    for (const listener of listeners) listener.close();
  }
}
