/**
 * `untilServerQuiet()` over an audit log written by the test: it resolves
 * once no matching write came for the window, counts only matching ones,
 * and times out naming the writes that kept it from resolving.
 */
import { ok, rejects } from "node:assert/strict";
import type { Cluster } from "../cluster/mod.ts";
import { delay } from "./poll.ts";
import { untilServerQuiet } from "./server_quiet.ts";

/** An audit line of a `create services` received now, sent as `userAgent`. */
function line(userAgent: string): string {
  return JSON.stringify({
    stage: "ResponseComplete",
    verb: "create",
    userAgent,
    user: { username: "admin" },
    objectRef: { resource: "services", namespace: "shop", name: "web" },
    responseStatus: { code: 201 },
    requestReceivedTimestamp: new Date().toISOString(),
  }) + "\n";
}

/** Runs `body` with a cluster whose only part is an audit log file the test writes. */
async function withLog(body: (cluster: Cluster, path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "server-quiet-" });
  try {
    const auditLogPath = `${dir}/audit.jsonl`;
    await Deno.writeTextFile(auditLogPath, "");
    await body({ auditLogPath } as Cluster, auditLogPath);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Appends a line as `userAgent` every `everyMs` until `signal` aborts; the last one's time. */
async function keepWriting(
  path: string,
  userAgent: string,
  everyMs: number,
  signal: AbortSignal,
): Promise<number> {
  let last = 0;
  while (!signal.aborted) {
    last = Date.now();
    await Deno.writeTextFile(path, line(userAgent), { append: true });
    await delay(everyMs);
  }
  return last;
}

Deno.test("untilServerQuiet() resolves after the window once the writer stops, ignoring others", async () => {
  await withLog(async (cluster, path) => {
    const writer = new AbortController();
    const other = new AbortController();
    const writing = keepWriting(path, "reflector", 50, writer.signal);
    const others = keepWriting(path, "kubectl", 50, other.signal);
    setTimeout(() => writer.abort(), 500);
    try {
      await untilServerQuiet(cluster, {
        description: "the reflector",
        userAgent: "reflector",
        forMs: 300,
        timeoutMs: 5_000,
      });
    } finally {
      writer.abort();
      other.abort();
    }
    const resolved = Date.now();
    const [last] = await Promise.all([writing, others]);
    ok(last > 0 && resolved >= last + 300, `resolved ${resolved - last} ms after the last write`);
  });
});

Deno.test("untilServerQuiet() times out naming the writes of a writer that never stops", async () => {
  await withLog(async (cluster, path) => {
    const writer = new AbortController();
    const writing = keepWriting(path, "reflector", 50, writer.signal);
    try {
      await rejects(
        untilServerQuiet(cluster, {
          description: "the reflector",
          userAgent: "reflector",
          forMs: 300,
          timeoutMs: 1_000,
        }),
        /^Error: Timed out after 1000 ms waiting for the reflector to write nothing for 300 ms; last writes: create services shop\/web by reflector: 201/,
      );
    } finally {
      writer.abort();
      await writing;
    }
  });
});

Deno.test("untilServerQuiet() refuses a window not shorter than its timeout", async () => {
  await withLog(async (cluster) => {
    await rejects(
      untilServerQuiet(cluster, { description: "x", forMs: 1_000, timeoutMs: 1_000 }),
      {
        name: "RangeError",
        message:
          "Cannot wait for quiet as 'forMs' must be positive and below 'timeoutMs': current values are 1000 and 1000",
      },
    );
  });
});
