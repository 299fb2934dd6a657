/**
 * Fault cases of connection floods against the command's servers, run as
 * users run it (its own process, the compiled binary's permissions):
 * - a flood of idle connections past the process's descriptor limit, at the
 *   Emitter and at `--listen` together;
 * - a flood of request heads sent a byte at a time, under the cap;
 * - a flood of idle connections over the Emitter's connection cap.
 * In each, the process stays up, a change made during the flood converges,
 * the flood's connections are closed by the server once the request-head
 * bound passes, and normal clients are answered. Each case ends with the
 * shared invariant. Peak memory is noted in `.cache/faults/floods.jsonl`.
 */
import { equal, ok } from "node:assert/strict";
import { residentBytes } from "../bench/_process_stats.ts";
import { type ReflectingCommand, startBetween } from "../support/command.ts";
import { type Flood, flood } from "../support/connection_flood.ts";
import { noteFigures } from "../support/noted_timings.ts";
import { poll } from "../support/poll.ts";
import { noteConvergence } from "./convergence_log.ts";
import { applyAll, exportedObjects, type FaultWorld, faultWorld, shop } from "./fault_world.ts";
import { invariantHolds } from "./invariant.ts";

/** The request-head bound of both servers in these cases (the default is 30 s). */
const headBoundMs = 3_000;

function reflecting(world: FaultWorld, args: string[] = []): Promise<ReflectingCommand> {
  return startBetween({
    host: world.west,
    source: world.east,
    sourceName: "east",
    args: [
      `--emitter.request-header-timeout=${headBoundMs / 1000}s`,
      `--listen-request-header-timeout=${headBoundMs / 1000}s`,
      ...args,
    ],
  });
}

/** Changes east: one Service deleted, one added, one's endpoints replaced. */
async function changeSource(world: FaultWorld): Promise<void> {
  await world.east.kubectl("delete", "service", "svc-0", "-n", shop);
  await applyAll(world.east, [...exportedObjects(50, 3), exportedObjects(1, 5)[1]]);
}

/** The descriptors process `pid` holds open. */
async function openDescriptors(pid: number): Promise<number> {
  let count = 0;
  for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) count++;
  return count;
}

/** Sets the soft and hard descriptor limits of the running process `pid` to `limit`. */
async function limitDescriptors(pid: number, limit: number): Promise<void> {
  const { success, stderr } = await new Deno.Command("prlimit", {
    args: ["--pid", String(pid), `--nofile=${limit}:${limit}`],
    stdout: "null",
    stderr: "piped",
  }).output();
  ok(success, new TextDecoder().decode(stderr));
}

/** The status of a GET of `url`, 0 when there is no answer within 5 s. */
async function statusOf(url: string): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await response.body?.cancel();
    return response.status;
  } catch {
    return 0;
  }
}

/** Whether the Emitter and `--listen` both answer a normal client now. */
async function bothAnswer(command: ReflectingCommand): Promise<boolean> {
  const [emitter, listen] = await Promise.all([
    statusOf(`http://127.0.0.1:${command.emitterPort}/api/v1/namespaces/${shop}/services`),
    statusOf(`http://127.0.0.1:${command.listen}/readyz`),
  ]);
  return emitter === 200 && listen === 200;
}

/** Waits until the server has closed every connection of `floods`; bounded by `timeoutMs`. */
function allClosedByServer(floods: Flood[], timeoutMs: number): Promise<true> {
  return poll(
    () => floods.every((each) => each.closedByServer() === each.opened) || undefined,
    { description: "every flood connection closed by the server", timeoutMs, intervalMs: 50 },
  );
}

/** The log lines of `command` that say `message`, parsed. */
function logged(command: ReflectingCommand, message: string): Record<string, unknown>[] {
  return command.logs().split("\n").filter((line) => line.includes(`"${message}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Notes the process's peak resident memory over its resident memory before the flood. */
async function notePeak(name: string, pid: number, beforeBytes: number): Promise<void> {
  const peak = await residentBytes(pid, "VmHWM");
  await noteFigures("faults/floods", name, {
    rssBeforeMiB: beforeBytes / 2 ** 20,
    peakRssMiB: peak / 2 ** 20,
  });
}

Deno.test("fault: a connection flood past the descriptor limit leaves the process up, converging, and answering once it passes", async () => {
  await faultWorld(async (world) => {
    await using command = await reflecting(world);
    await command.ready();
    await invariantHolds("descriptor flood: before", world);
    const pid = command.child.pid;
    const before = await openDescriptors(pid);
    const rssBefore = await residentBytes(pid);
    // Room for 64 more descriptors: the flood takes them all.
    await limitDescriptors(pid, before + 64);
    await using atEmitter = await flood({
      hostname: "127.0.0.1",
      port: command.emitterPort,
      connections: 200,
    });
    await using atListen = await flood({
      hostname: "127.0.0.1",
      port: command.listen,
      connections: 100,
    });
    const started = performance.now();
    await poll(
      () => logged(command, "cannot accept connections, retrying").length > 0 || undefined,
      {
        description: "a failed accept logged",
      },
    );
    const failure = logged(command, "cannot accept connections, retrying")[0];
    ok(JSON.stringify(failure).includes("Too many open files"), JSON.stringify(failure));
    await changeSource(world);
    await invariantHolds("descriptor flood: a change made during it", world);
    await allClosedByServer([atEmitter, atListen], 60_000);
    await noteConvergence("descriptor flood: every connection closed", performance.now() - started);
    await poll(() => bothAnswer(command).then((yes) => yes || undefined), {
      description: "the Emitter and --listen answer",
    });
    ok(
      (await openDescriptors(pid)) <= before + 8,
      `descriptors back to about ${before}: ${await openDescriptors(pid)}`,
    );
    // Rate-limited: at most one line per 10 s, however many accepts failed.
    const lines = logged(command, "cannot accept connections, retrying").length;
    ok(lines <= 2 + Math.ceil((performance.now() - started) / 10_000), `${lines} lines`);
    await notePeak("descriptor flood", pid, rssBefore);
    await invariantHolds("descriptor flood: after", world);
    equal((await command.stop()).code, 0, command.logs());
  });
});

Deno.test("fault: a slow-head flood is closed after the head bound, while normal clients are answered", async () => {
  await faultWorld(async (world) => {
    await using command = await reflecting(world);
    await command.ready();
    await invariantHolds("slow-head flood: before", world);
    const pid = command.child.pid;
    const before = await openDescriptors(pid);
    const rssBefore = await residentBytes(pid);
    await using slow = await flood({
      hostname: "127.0.0.1",
      port: command.emitterPort,
      connections: 500,
      byteEveryMs: 200,
    });
    equal(slow.opened, 500);
    ok(await bothAnswer(command), "answered during the flood");
    await changeSource(world);
    await invariantHolds("slow-head flood: a change made during it", world);
    await allClosedByServer([slow], 30_000);
    const lifetimes = slow.lifetimesMs();
    const shortest = Math.min(...lifetimes);
    const longest = Math.max(...lifetimes);
    // Sending bytes never extends the bound: a head that is not whole is no head.
    ok(shortest >= headBoundMs - 100, `closed before the bound: ${shortest} ms`);
    await noteConvergence("slow-head flood: longest connection", longest);
    await poll(() => bothAnswer(command).then((yes) => yes || undefined), {
      description: "the Emitter and --listen answer",
    });
    ok((await openDescriptors(pid)) <= before + 8, "descriptors released");
    await notePeak("slow-head flood (500 connections)", pid, rssBefore);
    await invariantHolds("slow-head flood: after", world);
    equal((await command.stop()).code, 0, command.logs());
  });
});

Deno.test("fault: connections over the Emitter's cap are closed at once and told, and --listen is unaffected", async () => {
  await faultWorld(async (world) => {
    const cap = 50;
    await using command = await reflecting(world, [`--emitter.max-connections=${cap}`]);
    await command.ready();
    const pid = command.child.pid;
    const rssBefore = await residentBytes(pid);
    await using idle = await flood({
      hostname: "127.0.0.1",
      port: command.emitterPort,
      connections: 200,
    });
    // The refused are closed long before the head bound passes.
    const opened = performance.now();
    await poll(() => idle.closedByServer() >= 200 - cap || undefined, {
      description: `${200 - cap} connections refused`,
      timeoutMs: headBoundMs - 500,
      intervalMs: 20,
    });
    await noteConvergence("connection cap: the refused closed", performance.now() - opened);
    equal(idle.closedByServer(), 200 - cap, "the held ones stay until the bound");
    equal(await statusOf(`http://127.0.0.1:${command.listen}/readyz`), 200);
    const refusal = logged(command, "connections refused at the cap")[0];
    equal(refusal?.["maxConnections"], cap);
    equal(refusal?.["flag"], "--emitter.max-connections");
    equal(refusal?.["port"], command.emitterPort);
    await changeSource(world);
    await invariantHolds("connection cap: a change made during the flood", world);
    await allClosedByServer([idle], 30_000);
    await poll(() => bothAnswer(command).then((yes) => yes || undefined), {
      description: "the Emitter and --listen answer",
    });
    await notePeak("connection cap (200 connections, cap 50)", pid, rssBefore);
    await invariantHolds("connection cap: after", world);
    equal((await command.stop()).code, 0, command.logs());
  });
});
