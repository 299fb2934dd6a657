/**
 * Whether the connection caps fit under the process's descriptor limit.
 * Every open connection holds a descriptor, so caps whose sum passes the
 * soft limit (`ulimit -n`) let a flood run the process out of descriptors
 * before any cap refuses it. That is survivable (a failed accept is
 * retried, never fatal), but the Reflector's own connections then wait
 * too; the start-up warning names the numbers so the operator can lower a
 * cap or raise the limit.
 *
 * @module
 */

import type { Config } from "./flags.ts";

/** Descriptors kept for everything but served connections: clients, files, the runtime. */
export const reservedDescriptors = 256;

/** The soft `Max open files` of a `/proc/<pid>/limits` text; undefined when unlimited or absent. */
export function openFilesLimit(limits: string): number | undefined {
  const soft = limits.match(/^Max open files\s+(\S+)/m)?.[1];
  if (soft === undefined || soft === "unlimited") return undefined;
  const value = Number(soft);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** What the configured servers may hold at once: each Emitter port's cap, and `--listen`'s. */
export function connectionCaps(config: Config): { flag: string; connections: number }[] {
  const { emitter } = config;
  const ports = emitter.enabled
    ? [emitter.insecurePort, emitter.securePort].filter((port) => port !== 0).length
    : 0;
  return [
    ...(ports > 0
      ? [{ flag: "--emitter.max-connections", connections: ports * emitter.maxConnections }]
      : []),
    { flag: "--listen-max-connections", connections: config.listenLimits.maxConnections },
  ];
}

/**
 * The warning to log when the caps plus {@linkcode reservedDescriptors}
 * pass `limit`, or undefined when they fit (or the limit is unknown).
 */
export function descriptorWarning(
  caps: readonly { flag: string; connections: number }[],
  limit: number | undefined,
): { message: string; fields: Record<string, unknown> } | undefined {
  if (limit === undefined) return undefined;
  const connections = caps.reduce((sum, cap) => sum + cap.connections, 0);
  if (connections + reservedDescriptors <= limit) return undefined;
  return {
    message: "the connection caps pass the descriptor limit: a flood can use every descriptor " +
      "before a cap refuses it; lower a cap or raise the limit",
    fields: {
      openFilesLimit: limit,
      connections,
      reserved: reservedDescriptors,
      caps: Object.fromEntries(caps.map((cap) => [cap.flag, cap.connections])),
    },
  };
}

/** The soft descriptor limit of this process; undefined where it cannot be read (not Linux). */
export function ownOpenFilesLimit(): number | undefined {
  try {
    return openFilesLimit(Deno.readTextFileSync("/proc/self/limits"));
  } catch {
    return undefined;
  }
}
