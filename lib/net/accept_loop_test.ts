import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { FakeClock, settle } from "../../tests/support/fake_clock.ts";
import { poll } from "../../tests/support/poll.ts";
import { type AcceptFailure, AcceptLoop, type Acceptor, type Refusal } from "./accept_loop.ts";

/** Resolves once the peer closed `conn`: its read ends or fails. */
async function closedByPeer(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(16);
  while ((await conn.read(buffer).catch(() => null)) !== null) { /* nothing is sent */ }
}

Deno.test("AcceptLoop hands out connections up to its cap, closes the rest at once, and reuses a released slot", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const handed: { conn: Deno.Conn; release: () => void }[] = [];
  const refusals: Refusal[] = [];
  const loop = new AcceptLoop(listener, (conn, release) => handed.push({ conn, release }), {
    maxConnections: 2,
    onRefusal: (report) => refusals.push(report),
  });
  const where = { hostname: "127.0.0.1", port: listener.addr.port };
  const clients = [await Deno.connect(where), await Deno.connect(where)];
  try {
    await poll(() => handed.length === 2 || undefined, { description: "two handed out" });
    const third = await Deno.connect(where);
    clients.push(third);
    await closedByPeer(third);
    deepEqual(refusals, [{ refused: 1, maxConnections: 2 }]);
    equal(loop.open, 2);
    const first = handed[0];
    first?.conn.close();
    first?.release();
    first?.release(); // a second release frees nothing more
    equal(loop.open, 1);
    clients.push(await Deno.connect(where));
    await poll(() => handed.length === 3 || undefined, { description: "a third handed out" });
    equal(loop.open, 2);
  } finally {
    await loop.close();
    for (const each of [...clients, ...handed.slice(1).map((entry) => entry.conn)]) {
      try {
        each.close();
      } catch {
        // Closed by the test already.
      }
    }
  }
});

/** An acceptor that fails with EMFILE or hands out `conn` as `script` says, then waits until closed. */
function scriptedAcceptor(
  script: ("fail" | "conn")[],
  conn: Deno.Conn,
): Acceptor & { accepts: number } {
  const closed = Promise.withResolvers<never>();
  closed.promise.catch(() => {});
  const acceptor = {
    accepts: 0,
    accept(): Promise<Deno.Conn> {
      const step = script[acceptor.accepts++];
      if (step === "fail") {
        return Promise.reject(Object.assign(new Error("Too many open files"), { code: "EMFILE" }));
      }
      return step === "conn" ? Promise.resolve(conn) : closed.promise;
    },
    close() {
      closed.reject(new Deno.errors.BadResource("closed"));
    },
  };
  return acceptor;
}

const failing = (times: number): "fail"[] => Array.from({ length: times }, () => "fail");

const fakeConn = { close() {} } as unknown as Deno.Conn;

Deno.test("AcceptLoop retries a failing accept after 5 ms doubling to 1 s, reset by a success", async () => {
  const clock = new FakeClock();
  const acceptor = scriptedAcceptor([...failing(9), "conn", "fail"], fakeConn);
  const handed: Deno.Conn[] = [];
  const loop = new AcceptLoop(acceptor, (conn) => handed.push(conn), {
    maxConnections: 10,
    clock,
  });
  const waits: number[] = [];
  for (let attempt = 0; attempt < 9; attempt++) {
    await settle();
    const [wait] = clock.pending;
    if (wait === undefined) throw new Error(`no backoff after failure ${attempt + 1}`);
    waits.push(wait);
    await clock.advance(wait);
  }
  await settle();
  deepEqual(waits, [5, 10, 20, 40, 80, 160, 320, 640, 1000]);
  deepEqual(handed, [fakeConn], "the accept after the failures succeeded");
  deepEqual(clock.pending, [5], "a failure after a success waits 5 ms again");
  await clock.advance(5);
  equal(acceptor.accepts, 12, "and the loop went on accepting");
  await loop.close();
});

Deno.test("AcceptLoop reports the first failure at once, then at most one per interval with the count since", async () => {
  const clock = new FakeClock();
  const reports: AcceptFailure[] = [];
  const loop = new AcceptLoop(scriptedAcceptor(failing(14), fakeConn), () => {}, {
    maxConnections: 1,
    clock,
    reportIntervalMs: 2_000,
    onAcceptFailure: (report) => reports.push(report),
  });
  // 5 + 10 + ... + 640 = 1275 ms, then 1000 ms each.
  for (let step = 0; step < 14; step++) {
    await settle();
    await clock.advance(clock.pending[0] ?? 0);
  }
  await loop.close();
  deepEqual(reports.map(({ failures, retryInMs }) => [failures, retryInMs]), [
    [1, 5],
    [9, 1000], // the 10th failure, at 2275 ms
    [2, 1000], // the 12th, at 4275 ms
    [2, 1000], // the 14th, at 6275 ms
  ]);
  equal((reports[0]?.error as { code?: string }).code, "EMFILE");
});

Deno.test("AcceptLoop stops on close() or its signal, and closes its listener", async () => {
  for (const stop of ["close", "signal"] as const) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const controller = new AbortController();
    const loop = new AcceptLoop(listener, (conn) => conn.close(), {
      maxConnections: 1,
      signal: controller.signal,
    });
    if (stop === "close") await loop.close();
    else controller.abort();
    await loop.finished;
    const refused = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port })
      .then((conn) => (conn.close(), false), () => true);
    ok(refused, `nothing listens after ${stop}`);
  }
});

Deno.test("AcceptLoop refuses a cap that is not a positive integer", () => {
  for (const maxConnections of [0, -1, 2.5, NaN]) {
    throws(() => new AcceptLoop(scriptedAcceptor([], fakeConn), () => {}, { maxConnections }), {
      name: "RangeError",
      message: "Cannot accept connections as 'maxConnections' must be a positive integer: " +
        `current value is ${maxConnections}`,
    });
  }
});
