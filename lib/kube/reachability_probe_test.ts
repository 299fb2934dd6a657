import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { realClock } from "../clock.ts";
import { configFromUrl } from "./config/client_config.ts";
import { ReachabilityProbe, type ReachabilityProbeOptions } from "./reachability_probe.ts";
import { RestClient } from "./rest.ts";
import { Transport } from "./transport.ts";
import { holds } from "../../tests/support/holds.ts";
import { poll } from "../../tests/support/poll.ts";

type Answer = "version" | "forbidden" | "hang";

interface Probed {
  probe: ReachabilityProbe;
  /** Paths asked, in order. */
  asked: string[];
  /** What the probe told: "lost: <error>" or "back". */
  told: string[];
  /** What the server does with the next requests. */
  answer: { now: Answer };
}

/** Runs a probe of a loopback server whose answers the test sets. */
async function withProbe(
  options: Partial<ReachabilityProbeOptions>,
  body: (probed: Probed) => Promise<void>,
): Promise<void> {
  const asked: string[] = [];
  const told: string[] = [];
  const answer: { now: Answer } = { now: "version" };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    asked.push(new URL(request.url).pathname);
    if (answer.now === "forbidden") return Response.json({ code: 403 }, { status: 403 });
    if (answer.now === "version") return Response.json({ gitVersion: "v1.37.2" });
    return new Promise<Response>((resolve) =>
      request.signal.addEventListener("abort", () => resolve(new Response(null, { status: 500 })))
    );
  });
  using transport = new Transport(configFromUrl(`http://127.0.0.1:${server.addr.port}`));
  const probe = new ReachabilityProbe({
    rest: new RestClient(transport),
    lastHeardMs: () => undefined,
    intervalMs: 100,
    timeoutMs: 200,
    lostIntervalMs: 50,
    onUnreachable: (error) => told.push(`lost: ${error}`),
    onReachable: () => told.push("back"),
    ...options,
  });
  const stop = new AbortController();
  const running = probe.run(stop.signal);
  try {
    await body({ probe, asked, told, answer });
  } finally {
    stop.abort();
    await running;
    await server.shutdown();
  }
}

Deno.test("ReachabilityProbe asks a silent server for /version, and none that was heard from lately", async () => {
  let heard = realClock.now();
  await withProbe({ lastHeardMs: () => heard }, async ({ asked }) => {
    const keepHearing = setInterval(() => heard = realClock.now(), 20);
    try {
      await holds(() => asked.length === 0, { forMs: 500, description: "no probe while heard" });
    } finally {
      clearInterval(keepHearing);
    }
    await poll(() => asked.length >= 2 || undefined, { description: "probes once silent" });
    deepStrictEqual(new Set(asked), new Set(["/version"]));
  });
});

Deno.test("ReachabilityProbe counts contact lost from the first unanswered probe, told once, until an answer", async () => {
  await withProbe({}, async ({ probe, asked, told, answer }) => {
    await poll(() => probe.lastAnswerMs, { description: "a first answer" });
    equal(probe.lostSinceMs, undefined);
    answer.now = "hang";
    const lostAt = await poll(() => probe.lostSinceMs, { description: "contact lost" });
    const seenAt = realClock.now();
    // Probes are sequential: the first unanswered one was sent after the last answer,
    // and known unanswered only once its 200 ms timeout ran out (10 ms for timer rounding).
    const lastAnswer = probe.lastAnswerMs ?? Infinity;
    ok(lostAt >= lastAnswer, `lost at ${lostAt}, before the last answer at ${lastAnswer}`);
    ok(seenAt - lostAt >= 190, `lost at ${lostAt}, the probe's send time, seen at ${seenAt}`);
    const probes = asked.length;
    await poll(() => asked.length >= probes + 2 || undefined, { description: "more probes" });
    equal(probe.lostSinceMs, lostAt, "still lost since the first unanswered probe");
    equal(told.length, 1);
    ok(told[0]?.startsWith("lost: TransportError: GET http://127.0.0.1:"), told[0]);
    ok(told[0]?.endsWith("/version failed: no answer within 200 ms"), told[0]);
    answer.now = "version";
    await poll(() => probe.lostSinceMs === undefined || undefined, { description: "contact back" });
    await poll(() => told.length === 2 || undefined, { description: "told it is back" });
    equal(told[1], "back");
  });
});

Deno.test("ReachabilityProbe takes an HTTP error as an answer: the round trip succeeded", async () => {
  await withProbe({}, async ({ probe, asked, told, answer }) => {
    answer.now = "forbidden";
    await poll(() => asked.length >= 3 || undefined, { description: "three refused probes" });
    equal(probe.lostSinceMs, undefined);
    ok(probe.lastAnswerMs !== undefined);
    deepStrictEqual(told, []);
  });
});

Deno.test("ReachabilityProbe ends a loss when the server is heard from after it", async () => {
  let heard: number | undefined;
  await withProbe({ lastHeardMs: () => heard }, async ({ probe, told, answer }) => {
    answer.now = "hang";
    await poll(() => probe.lostSinceMs, { description: "contact lost" });
    heard = realClock.now();
    equal(probe.lostSinceMs, undefined, "a byte heard since the loss ends it at once");
    await poll(() => told.at(-1) === "back" || undefined, { description: "told it is back" });
  });
});

Deno.test("ReachabilityProbe refuses an interval or timeout that is not a positive number", () => {
  using transport = new Transport(configFromUrl("http://127.0.0.1:1"));
  const rest = new RestClient(transport);
  for (const [name, value] of [["intervalMs", 0], ["timeoutMs", Number.NaN]] as const) {
    try {
      new ReachabilityProbe({ rest, lastHeardMs: () => undefined, [name]: value });
      throw new Error("accepted");
    } catch (error) {
      ok(error instanceof RangeError, String(error));
      ok(error.message.includes(`'${name}' must be a positive number`), error.message);
    }
  }
});
