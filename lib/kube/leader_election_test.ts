import { deepStrictEqual, equal, match, ok, rejects, throws } from "node:assert/strict";
import type { Lease } from "kubernetes-types/coordination/v1.d.ts";
import { type Cluster, withClusters } from "../../tests/cluster/mod.ts";
import { adminConfig } from "../../tests/support/client_configs.ts";
import { holds } from "../../tests/support/holds.ts";
import { poll } from "../../tests/support/poll.ts";
import { type Clock, realClock } from "../clock.ts";
import {
  defaultIdentity,
  type LeaderCallbacks,
  LeaderElector,
  type LeaderElectorOptions,
} from "./leader_election.ts";
import { leases, namespaces } from "./resource.ts";
import { RestClient } from "./rest.ts";
import { isConflict, isNotFound } from "./status_error.ts";
import { Transport } from "./transport.ts";

const namespace = "election";
const timings = { leaseDurationMs: 1_500, renewDeadlineMs: 1_000, retryPeriodMs: 200 };
const microTimePattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** One running candidate and what its callbacks saw. */
class Candidate {
  readonly elector: LeaderElector;
  readonly log: string[] = [];
  readonly newLeaders: string[] = [];
  readonly errors: unknown[] = [];
  readonly #controller = new AbortController();
  readonly #running: Promise<void>;
  workSignal: AbortSignal | undefined;
  startedAt: number | undefined;
  abortedAt: number | undefined;
  done = false;

  constructor(
    rest: RestClient,
    options: Partial<LeaderElectorOptions> & { name: string; identity: string },
    work?: (signal: AbortSignal) => Promise<void>,
  ) {
    this.elector = new LeaderElector({
      rest,
      namespace,
      ...timings,
      ...options,
      onError: (error) => this.errors.push(error),
    });
    const callbacks: LeaderCallbacks = {
      onStartedLeading: async (signal) => {
        this.log.push("started");
        this.startedAt = Date.now();
        this.workSignal = signal;
        signal.addEventListener("abort", () => this.abortedAt = Date.now(), { once: true });
        await (work ?? untilAborted)(signal);
        this.log.push("work settled");
      },
      onStoppedLeading: () => this.log.push("stopped"),
      onNewLeader: (identity) => this.newLeaders.push(identity),
    };
    this.#running = this.elector.run(this.#controller.signal, callbacks).finally(() => {
      this.done = true;
    });
  }

  /** Runs `run` once more on the same elector, for the running-twice check. */
  runAgain(): Promise<void> {
    return this.elector.run(this.#controller.signal, { onStartedLeading: () => {} });
  }

  /** Resolves once `run` resolved, failing after `timeoutMs`. */
  async ended(description: string, timeoutMs = 5_000): Promise<void> {
    await poll(() => this.done || undefined, { description, timeoutMs, intervalMs: 20 });
    await this.#running;
  }

  /** Aborts the run's signal and waits for `run` to resolve. */
  async stop(): Promise<void> {
    this.#controller.abort(new Error("test stops the candidate"));
    await this.ended("the candidate to stop");
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

async function readLease(rest: RestClient, name: string, ns = namespace): Promise<Lease> {
  return await rest.get<Lease>(leases, name, { namespace: ns });
}

async function leads(candidate: Candidate, description: string, timeoutMs = 5_000) {
  await poll(() => candidate.elector.isLeader || undefined, {
    description,
    timeoutMs,
    intervalMs: 20,
  });
}

/** Takes the Lease as another holder would, retrying when the leader's renewal wins the race. */
async function intrude(rest: RestClient, name: string): Promise<void> {
  await poll(async () => {
    const lease = await readLease(rest, name);
    const now = new Date().toISOString().replace(/Z$/, "000Z");
    try {
      await rest.update<Lease>(leases, {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: "intruder",
          renewTime: now,
          leaseDurationSeconds: 30,
        },
      });
      return true;
    } catch (error) {
      if (isConflict(error)) return undefined;
      throw error;
    }
  }, { description: `an intruder to take lease ${name}`, timeoutMs: 5_000, intervalMs: 10 });
}

function validation(rest: RestClient): void {
  const base = { rest, namespace, name: "valid", identity: "me" };
  const cases: [Partial<LeaderElectorOptions>, string, string][] = [
    [
      { leaseDurationMs: 0 },
      "RangeError",
      "'leaseDurationMs' must be a positive finite number: current value is 0",
    ],
    [
      { renewDeadlineMs: -1 },
      "RangeError",
      "'renewDeadlineMs' must be a positive finite number: current value is -1",
    ],
    [
      { retryPeriodMs: Number.NaN },
      "RangeError",
      "'retryPeriodMs' must be a positive finite number: current value is NaN",
    ],
    [
      { leaseDurationMs: Infinity },
      "RangeError",
      "'leaseDurationMs' must be a positive finite number: current value is Infinity",
    ],
    [
      { leaseDurationMs: 1_000, renewDeadlineMs: 1_000 },
      "RangeError",
      "'leaseDurationMs' must be greater than 'renewDeadlineMs' (1000): current value is 1000",
    ],
    [
      { renewDeadlineMs: 240, retryPeriodMs: 200 },
      "RangeError",
      "'renewDeadlineMs' must be greater than 1.2 times 'retryPeriodMs' (200): current value is 240",
    ],
    [{ identity: "" }, "RangeError", `'identity' must not be empty: current value is ""`],
  ];
  for (const [options, name, message] of cases) {
    throws(() => new LeaderElector({ ...base, ...options }), {
      name,
      message: `Cannot create leader elector as ${message}`,
    }, JSON.stringify(options));
  }
  throws(() => new LeaderElector({ ...base, name: "Bad_Name" }), {
    name: "TypeError",
    message:
      `Cannot build a path for leases as 'name' must be a DNS subdomain: current value is "Bad_Name"`,
  });
  throws(() => new LeaderElector({ ...base, namespace: "" }), {
    name: "TypeError",
    message:
      `Cannot build a path for leases as 'namespace' must be a DNS subdomain: current value is ""`,
  });
  const elector = new LeaderElector(base);
  throws(() => elector.healthy(-1), {
    name: "RangeError",
    message:
      "Cannot check leader elector health as 'toleranceMs' must be a non-negative finite number: current value is -1",
  });
  ok(elector.healthy(0), "a candidate that never led is healthy");
  equal(elector.isLeader, false);
  equal(elector.leader, undefined);
  const identity = defaultIdentity();
  ok(identity.startsWith(`${Deno.hostname()}_`), identity);
  match(identity.slice(Deno.hostname().length + 1), /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/);
}

async function singleCandidate(rest: RestClient): Promise<void> {
  const solo = new Candidate(rest, { name: "solo", identity: "solo" });
  try {
    await leads(solo, "solo to lead");
    const first = await readLease(rest, "solo");
    equal(first.spec?.holderIdentity, "solo");
    equal(first.spec?.leaseDurationSeconds, 2, "ceil(1500 ms) in seconds");
    equal(first.spec?.leaseTransitions, 0);
    match(first.spec?.acquireTime ?? "", microTimePattern);
    match(first.spec?.renewTime ?? "", microTimePattern);
    equal(solo.elector.leader, "solo");
    deepStrictEqual(solo.newLeaders, ["solo"]);
    const renewed = await poll(async () => {
      const lease = await readLease(rest, "solo");
      return (lease.spec?.renewTime ?? "") > (first.spec?.renewTime ?? "") ? lease : undefined;
    }, { description: "the renewTime of lease solo to advance", timeoutMs: 3_000 });
    equal(renewed.spec?.acquireTime, first.spec?.acquireTime, "a renewal keeps acquireTime");
    equal(renewed.spec?.leaseTransitions, 0);
    ok(solo.elector.healthy(), "healthy while renewing");
    await rejects(solo.runAgain(), {
      message: "Cannot run the leader elector of lease election/solo while it runs",
    });
    deepStrictEqual(solo.log, ["started"]);
  } finally {
    await solo.stop();
  }
  deepStrictEqual(solo.log, ["started", "work settled", "stopped"]);
  equal(solo.elector.isLeader, false);
  equal((await readLease(rest, "solo")).spec?.holderIdentity ?? "", "", "released on cancel");
  deepStrictEqual(solo.errors, []);
}

async function staleRelease(rest: RestClient): Promise<void> {
  // No renewal within the test: the leader's copy of the Lease stays as it wrote it.
  const slow = { leaseDurationMs: 30_000, renewDeadlineMs: 20_000, retryPeriodMs: 10_000 };
  const leader = new Candidate(rest, { name: "stale", identity: "stale", ...slow });
  try {
    await leads(leader, "stale to lead");
    // A write the leader did not see (as a renewal cut off by the abort after the
    // server applied it): the Lease still names the leader, at a newer resourceVersion.
    const lease = await readLease(rest, "stale");
    await rest.update<Lease>(leases, {
      ...lease,
      metadata: { ...lease.metadata, annotations: { "test/touched": "true" } },
    });
  } finally {
    await leader.stop();
  }
  equal((await readLease(rest, "stale")).spec?.holderIdentity ?? "", "", "released anyway");
  deepStrictEqual(leader.errors, []);
}

async function twoCandidates(rest: RestClient): Promise<void> {
  const a = new Candidate(rest, { name: "pair", identity: "a" });
  const b = new Candidate(rest, { name: "pair", identity: "b" });
  try {
    await poll(() => a.elector.isLeader || b.elector.isLeader || undefined, {
      description: "one of a and b to lead",
      intervalMs: 20,
      timeoutMs: 5_000,
    });
    // For several retry periods, exactly one leads, and always the same one.
    const first = a.elector.isLeader ? a : b;
    await holds(() => first.elector.isLeader && a.elector.isLeader !== b.elector.isLeader, {
      description: "exactly one of a and b leading, the same one",
      forMs: 3 * timings.retryPeriodMs,
      intervalMs: 10,
    });
    const [winner, loser] = a.elector.isLeader ? [a, b] : [b, a];
    const winnerId = winner === a ? "a" : "b";
    equal(loser.elector.isLeader, false, "exactly one leads");
    equal((await readLease(rest, "pair")).spec?.holderIdentity, winnerId);
    equal(loser.elector.leader, winnerId);
    deepStrictEqual(loser.newLeaders, [winnerId]);
    deepStrictEqual(loser.log, []);

    await winner.stop();
    equal(winner.workSignal?.aborted, true);
    deepStrictEqual(winner.log, ["started", "work settled", "stopped"], "work settles first");
    equal(winner.elector.isLeader, false);
    equal(winner.elector.leader, "", "the winner released the Lease");
    const stoppedAt = Date.now();
    await leads(loser, "the other candidate to take over");
    // A released Lease needs no expiry: the next retry (at most 2.2 retry periods) takes it.
    const takeoverMs = Date.now() - stoppedAt;
    ok(takeoverMs < timings.leaseDurationMs, `took over after ${takeoverMs} ms`);
    const lease = await readLease(rest, "pair");
    equal(lease.spec?.holderIdentity, loser === a ? "a" : "b");
    equal(lease.spec?.leaseTransitions, 1);
    equal(loser.newLeaders[0], winnerId);
    equal(loser.newLeaders.at(-1), loser === a ? "a" : "b");
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
  deepStrictEqual(a.errors, []);
  deepStrictEqual(b.errors, []);
}

async function noRelease(rest: RestClient): Promise<void> {
  const a = new Candidate(rest, { name: "kept", identity: "a", releaseOnCancel: false });
  let b: Candidate | undefined;
  try {
    await leads(a, "a to lead");
    b = new Candidate(rest, { name: "kept", identity: "b" });
    const other = b;
    await poll(() => other.elector.leader === "a" || undefined, {
      description: "b to observe a",
      intervalMs: 20,
    });
    await a.stop();
    const stoppedAt = Date.now();
    equal((await readLease(rest, "kept")).spec?.holderIdentity, "a", "not released");
    await holds(() => !other.elector.isLeader, {
      description: "b waiting for the lease to expire",
      forMs: timings.leaseDurationMs / 2 - (Date.now() - stoppedAt),
      intervalMs: 10,
    });
    await leads(other, "b to take the expired lease", 5_000);
    const waitedMs = Date.now() - stoppedAt;
    ok(waitedMs >= timings.leaseDurationMs - timings.retryPeriodMs, `b led after ${waitedMs} ms`);
    const lease = await readLease(rest, "kept");
    equal(lease.spec?.holderIdentity, "b");
    equal(lease.spec?.leaseTransitions, 1);
  } finally {
    await a.stop();
    await b?.stop();
  }
  deepStrictEqual(a.errors, []);
  deepStrictEqual(b?.errors, []);
}

async function lostLeadership(rest: RestClient): Promise<void> {
  const a = new Candidate(rest, { name: "taken", identity: "a" });
  try {
    await leads(a, "a to lead");
    await intrude(rest, "taken");
    const intrudedAt = Date.now();
    await a.ended("a to stop leading", timings.renewDeadlineMs + 2_000);
    const abortedAfter = (a.abortedAt ?? Infinity) - intrudedAt;
    ok(abortedAfter <= timings.renewDeadlineMs + 1_000, `work aborted after ${abortedAfter} ms`);
    match(String(a.workSignal?.reason), /Lost lease election\/taken to "intruder"/);
    deepStrictEqual(a.log, ["started", "work settled", "stopped"]);
    equal(a.elector.isLeader, false);
    equal(a.elector.leader, "intruder");
    // A held lease is never overwritten.
    await holds(
      async () => (await readLease(rest, "taken")).spec?.holderIdentity === "intruder",
      { description: "the intruder holding the lease", forMs: 3 * timings.retryPeriodMs },
    );
    const lease = await readLease(rest, "taken");
    equal(lease.spec?.holderIdentity, "intruder", "a held lease is never overwritten");
    equal(lease.spec?.leaseDurationSeconds, 30);
  } finally {
    await a.stop();
  }
  deepStrictEqual(a.errors, []);
}

async function missingNamespace(rest: RestClient): Promise<void> {
  const a = new Candidate(rest, { name: "late", identity: "a", namespace: "late" });
  try {
    await poll(() => a.errors.filter(isNotFound).length >= 2 || undefined, {
      description: "two NotFound errors",
      timeoutMs: 5_000,
    });
    equal(a.elector.isLeader, false);
    ok(a.errors.every(isNotFound), String(a.errors));
    deepStrictEqual(a.log, []);
    await rest.create(namespaces, { metadata: { name: "late" } });
    await leads(a, "a to lead once the namespace exists");
    equal((await readLease(rest, "late", "late")).spec?.holderIdentity, "a");
  } finally {
    await a.stop();
  }
}

/** The real clock, with a jump forward the test controls. */
class JumpingClock implements Clock {
  skewMs = 0;
  now(): number {
    return realClock.now() + this.skewMs;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return realClock.sleep(ms, signal);
  }
}

async function healthAfterClockJump(rest: RestClient): Promise<void> {
  const clock = new JumpingClock();
  const a = new Candidate(rest, { name: "jump", identity: "a", clock });
  try {
    await leads(a, "a to lead");
    ok(a.elector.healthy(0));
    // Seen from the elector, the last renewal is now older than the lease duration.
    clock.skewMs = timings.leaseDurationMs + 1;
    equal(a.elector.healthy(0), false);
    equal(a.elector.healthy(), true, "within the default tolerance of 20 s");
    await a.ended("a to give up after its renew deadline", 3_000);
    match(String(a.workSignal?.reason), /no renewal succeeded within 1000 ms/);
    equal(a.elector.isLeader, false);
    ok(a.elector.healthy(0), "a candidate that does not lead is healthy");
  } finally {
    await a.stop();
  }
  deepStrictEqual(a.errors, []);
}

async function stuckWork(rest: RestClient): Promise<void> {
  const release = Promise.withResolvers<void>();
  const a = new Candidate(rest, { name: "stuck", identity: "a" }, () => release.promise);
  try {
    await leads(a, "a to lead");
    await intrude(rest, "stuck");
    await poll(() => a.workSignal?.aborted || undefined, {
      description: "the work's signal to abort",
      timeoutMs: 3_000,
    });
    equal(a.elector.isLeader, true, "leads until the work settled");
    await poll(() => !a.elector.healthy(0) || undefined, {
      description: "healthy(0) to turn false",
      timeoutMs: timings.leaseDurationMs + 2_000,
      intervalMs: 20,
    });
    equal(a.done, false);
    release.resolve();
    await a.ended("a to stop once its work settled");
    equal(a.elector.isLeader, false);
    ok(a.elector.healthy(0));
    deepStrictEqual(a.log, ["started", "work settled", "stopped"]);
  } finally {
    release.resolve();
    await a.stop();
  }
}

/** A TCP relay to the API server that can stop forwarding, as a hung server would. */
class FreezingProxy {
  readonly #listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly #conns = new Set<Deno.Conn>();
  readonly #pumps: Promise<void>[] = [];
  readonly #accepting: Promise<void>;
  #thawed: PromiseWithResolvers<void> | undefined;

  constructor(target: URL) {
    this.#accepting = (async () => {
      for await (const client of this.#listener) {
        this.#conns.add(client);
        const server = await Deno.connect({ hostname: target.hostname, port: Number(target.port) });
        this.#conns.add(server);
        this.#pumps.push(this.#pump(client, server), this.#pump(server, client));
      }
    })().catch(() => {});
  }

  get url(): URL {
    return new URL(`https://127.0.0.1:${this.#listener.addr.port}`);
  }

  freeze(): void {
    this.#thawed ??= Promise.withResolvers();
  }

  async close(): Promise<void> {
    this.#thawed?.resolve();
    this.#listener.close();
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    }
    await this.#accepting;
    await Promise.all(this.#pumps);
  }

  async #pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const read = await from.read(buffer);
        if (read === null) break;
        if (this.#thawed) await this.#thawed.promise;
        let written = 0;
        while (written < read) written += await to.write(buffer.subarray(written, read));
      }
    } catch {
      // A closed connection ends the relay.
    }
  }
}

async function hungApiserver(cluster: Cluster, rest: RestClient): Promise<void> {
  const proxy = new FreezingProxy(new URL(cluster.server));
  const proxied = new Transport({ ...adminConfig(cluster), server: proxy.url });
  const a = new Candidate(new RestClient(proxied), { name: "hung", identity: "a" });
  let b: Candidate | undefined;
  try {
    await leads(a, "a to lead through the proxy");
    b = new Candidate(rest, { name: "hung", identity: "b" });
    const other = b;
    await poll(() => other.elector.leader === "a" || undefined, {
      description: "b to observe a",
      intervalMs: 20,
    });
    proxy.freeze();
    const frozenAt = Date.now();
    await poll(() => a.workSignal?.aborted || undefined, {
      description: "a's work to be aborted",
      timeoutMs: timings.renewDeadlineMs + 2_000,
      intervalMs: 10,
    });
    const lostAfter = (a.abortedAt ?? Infinity) - frozenAt;
    ok(lostAfter <= timings.renewDeadlineMs + 1_000, `a stopped leading ${lostAfter} ms after`);
    match(String(a.workSignal?.reason), /no renewal succeeded within 1000 ms/);
    await leads(b, "b to take over", 5_000);
    ok((b.startedAt ?? 0) > (a.abortedAt ?? Infinity), "never two leaders at once");
    // The release cannot reach the server either, and gives up at its own deadline.
    await a.ended("a to give up releasing", timings.renewDeadlineMs + 2_000);
    ok(a.errors.length > 0);
    ok(
      a.errors.every((error) => error instanceof Error && error.name === "TimeoutError"),
      String(a.errors),
    );
    equal((await readLease(rest, "hung")).spec?.holderIdentity, "b");
  } finally {
    await a.stop();
    await b?.stop();
    proxied.close();
    await proxy.close();
  }
}

Deno.test("LeaderElector against a real apiserver", async (t) => {
  await withClusters(["lease"], async ([cluster]) => {
    if (!cluster) throw new Error("cluster missing");
    using transport = new Transport(adminConfig(cluster));
    const rest = new RestClient(transport);
    await rest.create(namespaces, { metadata: { name: namespace } });
    await t.step("it rejects invalid options naming the option and its value", () => {
      validation(rest);
    });
    await t.step(
      "a single candidate creates the Lease, renews it and releases it on cancel",
      () => singleCandidate(rest),
    );
    await t.step(
      "a leader whose copy of the Lease is stale still releases it on cancel",
      () => staleRelease(rest),
    );
    await t.step(
      "of two concurrent candidates exactly one leads, and its released Lease passes to the other",
      () => twoCandidates(rest),
    );
    await t.step(
      "a Lease left without release passes to another candidate only after it expired",
      () => noRelease(rest),
    );
    await t.step(
      "a leader whose Lease is taken stops leading and does not overwrite it",
      () => lostLeadership(rest),
    );
    await t.step(
      "without its namespace it reports NotFound, and leads once the namespace exists",
      () => missingNamespace(rest),
    );
    await t.step(
      "healthy() is false once the last renewal is older than lease duration and tolerance",
      () => healthAfterClockJump(rest),
    );
    await t.step(
      "a work that ignores its signal keeps isLeader true and makes healthy() false",
      () => stuckWork(rest),
    );
    await t.step(
      "a hung apiserver ends leadership within the renew deadline, before another leads",
      () => hungApiserver(cluster, rest),
    );
  });
});
