import { deepStrictEqual, rejects, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  decodeWatchEvents,
  LineSplitter,
  type WatchEvent,
  WatchStreamError,
} from "./watch_stream.ts";

const encoder = new TextEncoder();

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks);
}

/** Cuts `bytes` at the given offsets (sorted, deduplicated, within range). */
function cut(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((offset) => offset % (bytes.length + 1)))].sort((a, b) =>
    a - b
  );
  const chunks = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.slice(start, point));
    start = point;
  }
  return chunks;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const service = (name: string, label: string) => ({
  kind: "Service",
  metadata: { name, labels: { note: label } },
});

Deno.test("decodeWatchEvents() decodes events delivered one byte at a time", async () => {
  const events = [
    { type: "ADDED", object: service("web", "caf\u00e9 \u2615 \u{1F600}") },
    { type: "BOOKMARK", object: { kind: "Service", metadata: { resourceVersion: "12" } } },
    { type: "DELETED", object: service("web", "\u65e5\u672c") },
  ];
  const bytes = encoder.encode(events.map((event) => JSON.stringify(event) + "\n").join(""));
  const chunks = Array.from(bytes, (byte) => Uint8Array.of(byte));
  deepStrictEqual(await collect(decodeWatchEvents(streamOf(chunks))), events);
});

Deno.test("decodeWatchEvents() skips empty lines and yields ERROR events", async () => {
  const status = { kind: "Status", code: 410, reason: "Expired" };
  const text = `\n${JSON.stringify({ type: "ERROR", object: status })}\n\n`;
  deepStrictEqual(await collect(decodeWatchEvents(streamOf([encoder.encode(text)]))), [
    { type: "ERROR", object: status },
  ]);
});

Deno.test("decodeWatchEvents() refuses a line over the bound", async () => {
  const line = encoder.encode(
    JSON.stringify({ type: "ADDED", object: service("x", "y".repeat(100)) }) + "\n",
  );
  await rejects(collect(decodeWatchEvents(streamOf(cut(line, [7, 50])), { maxLineBytes: 64 })), {
    name: "LineTooLongError",
    message: "Cannot decode watch stream: a line exceeds 64 bytes",
  });
});

Deno.test("decodeWatchEvents() refuses a stream that ends inside an event", async () => {
  const whole = JSON.stringify({ type: "ADDED", object: service("a", "b") }) + "\n";
  const truncated = encoder.encode(whole + whole.slice(0, 20));
  const seen: WatchEvent<unknown>[] = [];
  await rejects(
    (async () => {
      for await (const event of decodeWatchEvents(streamOf([truncated]))) seen.push(event);
    })(),
    {
      name: "WatchStreamError",
      message: "Cannot decode watch stream: it ended inside an event after 20 bytes",
    },
  );
  deepStrictEqual(seen.length, 1);
});

Deno.test("decodeWatchEvents() refuses invalid UTF-8, bad JSON and unknown event shapes", async () => {
  const cases: [Uint8Array, string][] = [
    [Uint8Array.of(0x7b, 0xff, 0x7d, 0x0a), "is not valid UTF-8 JSON"],
    [encoder.encode("{not json}\n"), "is not valid UTF-8 JSON"],
    [encoder.encode('{"type":"RENAMED","object":{}}\n'), 'expected {"type","object"}'],
    [encoder.encode('{"type":"ADDED","object":null}\n'), 'expected {"type","object"}'],
    [encoder.encode("[1,2]\n"), 'expected {"type","object"}'],
  ];
  for (const [bytes, fragment] of cases) {
    const error = await collect(decodeWatchEvents(streamOf([bytes]))).catch((error) => error);
    deepStrictEqual(error instanceof WatchStreamError, true, String(error));
    deepStrictEqual(error.message.includes(fragment), true, error.message);
  }
});

Deno.test("decodeWatchEvents() cancels the body when the consumer stops early", async () => {
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(
        encoder.encode(JSON.stringify({ type: "ADDED", object: service("a", "b") }) + "\n"),
      );
    },
    cancel() {
      cancelled = true;
    },
  });
  for await (const _ of decodeWatchEvents(body)) break;
  deepStrictEqual(cancelled, true);
});

Deno.test("decodeWatchEvents() ends on abort with the reason and cancels a body that never ends", async () => {
  // A body that delivers one event and then neither ends nor errors, like a
  // fetch body whose read stays pending after its fetch aborted.
  let cancelled = false;
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller): Promise<void> | void {
      if (sent) return new Promise<void>(() => {});
      sent = true;
      controller.enqueue(
        encoder.encode(JSON.stringify({ type: "ADDED", object: service("a", "b") }) + "\n"),
      );
    },
    cancel() {
      cancelled = true;
    },
  });
  const controller = new AbortController();
  const seen: string[] = [];
  const reason = new Error("stopping");
  await rejects(async () => {
    for await (const event of decodeWatchEvents(body, { signal: controller.signal })) {
      seen.push(event.type);
      controller.abort(reason);
    }
  }, (error) => error === reason);
  deepStrictEqual({ seen, cancelled }, { seen: ["ADDED"], cancelled: true });
});

Deno.test("decodeWatchEvents() yields nothing after abort, even from a busy body", async () => {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(
        encoder.encode(
          JSON.stringify({ type: "ADDED", object: service(`s${++sent}`, "b") }) + "\n",
        ),
      );
    },
  });
  const controller = new AbortController();
  const seen: string[] = [];
  await rejects(async () => {
    for await (const event of decodeWatchEvents(body, { signal: controller.signal })) {
      seen.push((event.object as { metadata: { name: string } }).metadata.name);
      controller.abort(new Error("stopping"));
    }
  }, { message: "stopping" });
  deepStrictEqual(seen, ["s1"]);
});

Deno.test("LineSplitter throws if maxLineBytes is not a positive integer", () => {
  throws(() => new LineSplitter(0), {
    name: "RangeError",
    message: "Cannot split lines as 'maxLineBytes' must be a positive integer: current value is 0",
  });
});

Deno.test("LineSplitter equals splitting the whole text, however the bytes are chunked", () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ unit: "grapheme", maxLength: 30 }).map((s) => s.replaceAll("\n", "")), {
        maxLength: 12,
      }),
      fc.array(fc.nat(), { maxLength: 20 }),
      (lines, offsets) => {
        const bytes = encoder.encode(lines.map((line) => line + "\n").join(""));
        const splitter = new LineSplitter(1024);
        const decoder = new TextDecoder("utf-8", { fatal: true });
        // Each line is decoded before the next chunk, as a chunk's buffer is then reused.
        const decoded = cut(bytes, offsets).flatMap((chunk) =>
          [...splitter.push(chunk)].map((line) => decoder.decode(line))
        );
        splitter.end();
        deepStrictEqual(decoded, lines.filter((line) => line.length > 0));
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("decodeWatchEvents() round-trips any events under any chunking", async () => {
  const eventArbitrary = fc.record({
    type: fc.constantFrom("ADDED", "MODIFIED", "DELETED", "BOOKMARK"),
    object: fc.record({
      metadata: fc.record({ name: fc.string({ unit: "grapheme", maxLength: 20 }) }),
      data: fc.dictionary(
        fc.string({ maxLength: 5 }),
        fc.string({ unit: "grapheme", maxLength: 10 }),
      ),
    }),
  });
  await fc.assert(
    fc.asyncProperty(
      fc.array(eventArbitrary, { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 30 }),
      async (events, offsets) => {
        const bytes = encoder.encode(events.map((event) => JSON.stringify(event) + "\n").join(""));
        // fast-check builds null-prototype dictionaries; compare plain JSON values.
        const expected = JSON.parse(JSON.stringify(events));
        deepStrictEqual(await collect(decodeWatchEvents(streamOf(cut(bytes, offsets)))), expected);
      },
    ),
    { numRuns: 200 },
  );
});
