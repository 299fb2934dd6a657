import { equal, ok } from "node:assert/strict";
import { holds } from "../../tests/support/holds.ts";
import { connDuplex } from "./conn_duplex.ts";

/** A connected pair over loopback: the Duplex side and the plain client side. */
async function pair(): Promise<{ duplex: ReturnType<typeof connDuplex>; client: Deno.Conn }> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [accepted, client] = await Promise.all([
    listener.accept(),
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
  ]);
  return { duplex: connDuplex(accepted), client };
}

/** Everything `client` reads until the other side ends or closes. */
async function readAll(client: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(1024);
  const decoder = new TextDecoder();
  let text = "";
  for (let read = await client.read(buffer); read !== null; read = await client.read(buffer)) {
    text += decoder.decode(buffer.subarray(0, read), { stream: true });
  }
  return text;
}

Deno.test("connDuplex() carries bytes both ways, and end() shuts the write side only", async () => {
  const { duplex, client } = await pair();
  const received: string[] = [];
  duplex.on("data", (chunk: Uint8Array) => received.push(new TextDecoder().decode(chunk)));
  const ended = new Promise((resolve) => duplex.once("end", resolve));
  const closed = new Promise((resolve) => duplex.once("close", resolve));
  await client.write(new TextEncoder().encode("ping"));
  duplex.cork();
  duplex.write("po");
  duplex.write("ng");
  duplex.end();
  const reading = readAll(client);
  await client.closeWrite(); // the client's FIN
  await ended;
  equal(received.join(""), "ping");
  equal(await reading, "pong");
  await closed; // both sides done: the connection is closed
  client.close();
});

Deno.test("connDuplex() does not read from the socket while its reader does not read", async () => {
  const { duplex, client } = await pair();
  duplex.pause();
  let written = 0;
  const chunk = new Uint8Array(64 * 1024);
  const writing = (async () => {
    try {
      while (true) {
        written += await client.write(chunk);
      }
    } catch {
      // The duplex was destroyed.
    }
  })();
  // Socket buffers hold a few MiB; reading without backpressure would take all of it.
  await holds(() => written < 32 << 20, {
    description: "the client blocked by a full socket",
    forMs: 300,
  });
  ok(written > 0, "the client wrote");
  duplex.destroy();
  await writing;
  client.close();
});

Deno.test("connDuplex() destroy() closes the connection, after a write in progress", async () => {
  const { duplex, client } = await pair();
  const closed = new Promise((resolve) => duplex.once("close", resolve));
  duplex.write("last words");
  duplex.destroy();
  equal(await readAll(client), "last words");
  await closed;
  client.close();
});

Deno.test("connDuplex() ends its readable side when the peer closes", async () => {
  const { duplex, client } = await pair();
  const ended = new Promise((resolve) => duplex.once("end", resolve));
  duplex.resume();
  client.close();
  await ended;
  duplex.destroy();
  await new Promise((resolve) => duplex.once("close", resolve));
});

Deno.test("connDuplex() gives each short read its own bytes, however many arrive one by one", async () => {
  const { duplex, client } = await pair();
  const chunks: Uint8Array[] = [];
  duplex.on("data", (chunk: Uint8Array) => chunks.push(chunk));
  const ended = new Promise((resolve) => duplex.once("end", resolve));
  const sent = "GET / HTTP/1.1\r\n";
  for (const byte of new TextEncoder().encode(sent)) {
    await client.write(Uint8Array.of(byte));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await client.closeWrite();
  await ended;
  // Chunks kept by the reader stay as read: a reused buffer must not rewrite them.
  equal(chunks.map((chunk) => new TextDecoder().decode(chunk)).join(""), sent);
  ok(chunks.length > 1, `short reads: ${chunks.length}`);
  ok(chunks.every((chunk) => chunk.buffer.byteLength === chunk.length), "copied out, not views");
  duplex.destroy();
  client.close();
});
