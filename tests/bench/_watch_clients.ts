/**
 * Watch clients in a process of their own, so that the benchmark's RSS is
 * the Emitter's alone: `deno run --allow-net _watch_clients.ts <url> <count>
 * [until]` opens `count` HTTP/1.1 connections, sends one GET of `<url>` on
 * each, and reads (and drops) whatever arrives. It prints `ready` once every
 * response has started, or, with `until`, once every stream has carried
 * that text; then it keeps the connections open until stdin closes.
 *
 * @module
 */
// deno-lint-ignore-file no-console

const [href = "", countText = "0", until] = Deno.args;
const url = new URL(href);
const count = Number(countText);
const request = new TextEncoder().encode(
  `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: application/json\r\n\r\n`,
);
const marker = until ?? "\r\n\r\n";

/** Resolves once `marker` went by on `conn`; reads until the connection ends. */
function follow(conn: Deno.Conn): Promise<void> {
  return new Promise((resolve, reject) => {
    void (async () => {
      const buffer = new Uint8Array(16 * 1024);
      const decoder = new TextDecoder();
      let tail = "";
      let seen = false;
      try {
        while (true) {
          const read = await conn.read(buffer);
          if (read === null) break;
          if (seen) continue;
          tail = (tail + decoder.decode(buffer.subarray(0, read), { stream: true })).slice(-4096);
          if (tail.includes(marker)) {
            seen = true;
            resolve();
          }
        }
      } catch (error) {
        if (!seen) reject(error);
      }
      if (!seen) reject(new Error("a watch ended before it was ready"));
    })();
  });
}

const conns: Deno.Conn[] = [];
const ready: Promise<void>[] = [];
for (let index = 0; index < count; index++) {
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  conns.push(conn);
  ready.push(follow(conn));
  await conn.write(request);
}
await Promise.all(ready);
console.log("ready");
for await (const _ of Deno.stdin.readable) {
  // Held open until the benchmark closes stdin.
}
for (const conn of conns) conn.close();
