/**
 * The reflector a benchmark measures: this command, as the compiled binary
 * runs, or any other reflector binary (`--reflector-cmd`) given the
 * original's flags, side by side in one run; and the host apiserver's own
 * count of the writes that implementations cause, whatever metrics they
 * serve.
 *
 * @module
 */

import type { Cluster } from "../cluster/mod.ts";
import { startCommand } from "../support/command.ts";

/** The implementation name of this project's command. */
export const ourName = "service-reflector";

/** A running reflector: its process id, and how to stop it. */
export interface Reflecting extends AsyncDisposable {
  readonly pid: number;
}

/**
 * Starts `implementation`: {@linkcode ourName} for this command as the
 * compiled binary runs (`--log-level=warn` added), or else a shell command
 * to which `flags` are appended.
 */
export async function startReflecting(
  implementation: string,
  flags: string[],
): Promise<Reflecting> {
  if (implementation === ourName) {
    const command = await startCommand([...flags, "--log-level=warn"]);
    return { pid: command.child.pid, [Symbol.asyncDispose]: () => command[Symbol.asyncDispose]() };
  }
  const quoted = flags.map((flag) => `'${flag.replaceAll("'", "'\\''")}'`).join(" ");
  const child = new Deno.Command("sh", {
    args: ["-c", `exec ${implementation} ${quoted}`],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return {
    pid: child.pid,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await child.status;
    },
  };
}

/** Writes of Services, Endpoints, EndpointSlices and Namespaces `host` has answered so far. */
export async function hostWrites(host: Cluster): Promise<number> {
  const text = await (await host.fetch("/metrics")).text();
  let writes = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    if (!/verb="(POST|PUT|PATCH|DELETE)"/.test(line)) continue;
    if (!/resource="(services|endpoints|endpointslices|namespaces)"/.test(line)) continue;
    if (/subresource="[^"]+"/.test(line)) continue;
    writes += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return writes;
}
