import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { bodyChunks, chunkBytes } from "./_body_chunks.ts";

/** A loopback server answering every request with `body()`; closed on dispose. */
function serving(body: () => BodyInit): AsyncDisposable & { url: string } {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(body()),
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

Deno.test("bodyChunks() reads a fetch body whole into buffers of its own size, not the body's", async () => {
  const sent = new Uint8Array(5 * chunkBytes + 123).map((_, index) => index % 251);
  await using server = serving(() => sent);
  using client = Deno.createHttpClient({ http2: false });
  for (let round = 0; round < 3; round++) {
    const response = await fetch(server.url, { client });
    const received = new Uint8Array(sent.length);
    let offset = 0;
    for await (const chunk of bodyChunks(response.body as ReadableStream<Uint8Array>)) {
      // The fetch body's own chunks would each be a 64 KiB buffer.
      equal(chunk.buffer.byteLength, chunkBytes);
      received.set(chunk, offset);
      offset += chunk.length;
    }
    equal(offset, sent.length);
    deepStrictEqual(received, sent);
  }
});

Deno.test("bodyChunks() cancels a fetch body when the consumer stops early", async () => {
  const { promise: cancelled, resolve } = Promise.withResolvers<void>();
  await using server = serving(() =>
    new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(new Uint8Array(1024)),
      cancel: () => resolve(),
    })
  );
  using client = Deno.createHttpClient({ http2: false });
  const response = await fetch(server.url, { client });
  for await (const chunk of bodyChunks(response.body as ReadableStream<Uint8Array>)) {
    ok(chunk.length > 0);
    break;
  }
  await cancelled;
});

Deno.test("bodyChunks() ends on abort with the reason while a read of a silent body is pending", async () => {
  await using server = serving(() =>
    new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(new TextEncoder().encode("first")),
      pull: () => new Promise<void>(() => {}),
    })
  );
  using client = Deno.createHttpClient({ http2: false });
  const response = await fetch(server.url, { client });
  const controller = new AbortController();
  const reason = new Error("stopping");
  const seen: string[] = [];
  await rejects(async () => {
    const chunks = bodyChunks(response.body as ReadableStream<Uint8Array>, {
      signal: controller.signal,
    });
    for await (const chunk of chunks) {
      seen.push(new TextDecoder().decode(chunk));
      setTimeout(() => controller.abort(reason), 20);
    }
  }, (error) => error === reason);
  deepStrictEqual(seen, ["first"]);
});
