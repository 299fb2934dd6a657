import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { holds } from "../../tests/support/holds.ts";
import { poll } from "../../tests/support/poll.ts";
import { rawExchange } from "../../tests/support/raw_http.ts";
import { generatePki, type Pki, withTempDir } from "../../tests/support/kubeconfig_fixtures.ts";
import {
  remoteUserCnHeader,
  serve,
  type ServeOptions,
  type Server,
  type ServeTlsOptions,
} from "./serve.ts";
import { generateSelfSigned, type SelfSigned } from "./self_signed.ts";

const LOCAL = { hostname: "127.0.0.1", port: 0 } as const;

let serving: Promise<SelfSigned> | undefined;
/** One serving certificate for the whole file (key generation is the slow part). */
function servingCert(): Promise<SelfSigned> {
  serving ??= generateSelfSigned({ hosts: [] });
  return serving;
}

let pkis: Promise<[Pki, Pki]> | undefined;
/** Two unrelated CAs from the project's PKI generator, read into memory; no file is left. */
function twoPkis(): Promise<[Pki, Pki]> {
  const pki = () => withTempDir(generatePki);
  pkis ??= (async () => [await pki(), await pki()])();
  return pkis;
}

type Mode = "http" | "https" | "mtls";
const MODES: Mode[] = ["http", "https", "mtls"];

/** A server in `mode` on 127.0.0.1, and a client that it accepts. */
async function start(
  mode: Mode,
  handler: (request: Request) => Response | Promise<Response>,
  options: Partial<ServeOptions> = {},
): Promise<{ server: Server; url: string; client: Deno.HttpClient }> {
  if (mode === "http") {
    const server = await serve(handler, { ...LOCAL, ...options });
    return { server, url: `http://127.0.0.1:${server.port}`, client: Deno.createHttpClient({}) };
  }
  const tls = await tlsFor(mode);
  const server = await serve(handler, { ...LOCAL, ...options, tls });
  const [a] = await twoPkis();
  const client = Deno.createHttpClient({
    caCerts: [tls.cert],
    ...(mode === "mtls" ? { cert: a.cert, key: a.key } : {}),
  });
  return { server, url: `https://127.0.0.1:${server.port}`, client };
}

/** The TLS options of `mode`: the serving certificate, and CA A for client certificates. */
async function tlsFor(mode: "https" | "mtls"): Promise<ServeTlsOptions> {
  const { cert, key } = await servingCert();
  if (mode === "https") return { cert, key };
  const [a] = await twoPkis();
  return { cert, key, clientCa: [a.ca] };
}

/** `promise`, or a rejection naming `what` after `ms`: a broken server fails the test, not hangs it. */
async function within<T>(promise: Promise<T>, what: string, ms = 5_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** An endless body, one line every 10 ms, that records its cancellation. */
function ticker() {
  const cancelled = Promise.withResolvers<void>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull: (controller) =>
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          controller.enqueue(new TextEncoder().encode(`line ${sent++}\n`));
          resolve();
        }, 10);
      }),
    cancel: () => {
      clearTimeout(timer);
      cancelled.resolve();
    },
  }, { highWaterMark: 0 });
  return { body, cancelled: cancelled.promise, sent: () => sent };
}

/** Reads `response`'s body until `lines` lines have arrived; returns them and the reader. */
async function readLines(response: Response, lines: number) {
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  if (!reader) throw new Error("no body");
  let text = "";
  while (text.split("\n").length <= lines) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the body ended after ${JSON.stringify(text)}`);
    text += value;
  }
  return { lines: text.split("\n").slice(0, lines), reader };
}

/** A raw connection to `server` in `mode` (TLS with the client certificate for mtls). */
async function connect(mode: Mode, server: Server): Promise<Deno.Conn> {
  const where = { hostname: "127.0.0.1", port: server.port };
  if (mode === "http") return await Deno.connect(where);
  const [a] = await twoPkis();
  const { cert } = await servingCert();
  return await Deno.connectTls({
    ...where,
    caCerts: [cert],
    ...(mode === "mtls" ? { cert: a.cert, key: a.key } : {}),
  });
}

const encoder = new TextEncoder();

/** Reads from `conn` until `until` is in what was read, or the connection ends; all of it. */
async function readUntil(conn: Deno.Conn, until: string): Promise<string> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(16 * 1024);
  let text = "";
  while (!text.includes(until)) {
    const read = await conn.read(buffer).catch(() => null);
    if (read === null) break;
    text += decoder.decode(buffer.subarray(0, read), { stream: true });
  }
  return text;
}

/** Resolves once the server closed `conn` (its read ends or fails); what it sent first. */
function closedBy(conn: Deno.Conn): Promise<string> {
  return readUntil(conn, "\u0000never");
}

for (const mode of MODES) {
  Deno.test(`serve() answers a request with the handler's response (${mode})`, async () => {
    const { server, url, client } = await start(mode, async (request) => {
      const body = request.method === "POST" ? await request.text() : "";
      return new Response(`${request.method} ${new URL(request.url).pathname}?${body}`, {
        status: 201,
        headers: { "x-seen": request.headers.get("x-test") ?? "" },
      });
    });
    try {
      for (const method of ["GET", "POST"]) {
        const response = await fetch(`${url}/api/v1?watch=1`, {
          method,
          client,
          headers: { "x-test": "yes" },
          ...(method === "POST" ? { body: "payload" } : {}),
        });
        equal(response.status, 201);
        equal(response.headers.get("x-seen"), "yes");
        equal(await response.text(), method === "POST" ? "POST /api/v1?payload" : "GET /api/v1?");
      }
    } finally {
      client.close();
      await server.shutdown();
    }
  });

  Deno.test(`serve() streams an endless body chunk by chunk and ends it on abort (${mode})`, async () => {
    const controller = new AbortController();
    const source = ticker();
    const { server, url, client } = await start(mode, () => new Response(source.body), {
      signal: controller.signal,
    });
    try {
      const started = Date.now();
      const response = await fetch(`${url}/watch`, { client });
      const { lines, reader } = await readLines(response, 5);
      ok(Date.now() - started < 2_000, `5 lines took ${Date.now() - started} ms`);
      equal(lines[4], "line 4");
      ok(source.sent() < 20, `the server read ahead of the socket: ${source.sent()} lines`);
      controller.abort();
      const ended = (async () => {
        while (!(await reader.read()).done) { /* the lines sent before the abort */ }
      })();
      await within(ended, "the client saw the body end");
      await within(source.cancelled, "the body cancelled");
      await within(server.finished, "the server finished");
    } finally {
      client.close();
      await server.shutdown();
    }
  });

  Deno.test(`serve() cancels the body when the client disconnects mid-stream (${mode})`, async () => {
    const source = ticker();
    let signal: AbortSignal | undefined;
    const { server, url, client } = await start(mode, (request) => {
      // Deno.serve warns when a request's signal is read (its legacy abort); node's aborts only here.
      if (mode === "mtls") signal = request.signal;
      return new Response(source.body);
    });
    try {
      const response = await fetch(`${url}/watch`, { client });
      const { reader } = await readLines(response, 2);
      await reader.cancel();
      await within(source.cancelled, "the body cancelled");
      if (signal) {
        const aborted = signal;
        await within(
          new Promise((resolve) => {
            if (aborted.aborted) resolve(undefined);
            aborted.addEventListener("abort", resolve, { once: true });
          }),
          "the request signal aborted",
        );
      }
    } finally {
      client.close();
      await server.shutdown();
    }
  });

  Deno.test(`serve() does not read the body ahead of a client that does not read (${mode})`, async () => {
    const chunk = new Uint8Array(1 << 20);
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += chunk.length;
        controller.enqueue(chunk);
      },
    }, { highWaterMark: 0 });
    const { server, url, client } = await start(mode, () => new Response(body));
    try {
      const response = await fetch(`${url}/watch`, { client });
      // Socket buffers hold a few MiB; without backpressure this would be gigabytes.
      await holds(() => pulled < 64 << 20, {
        description: "less than 64 MiB pulled from the body",
        forMs: 300,
      }).catch((error) => {
        throw new Error(`${error.message}: ${pulled >> 20} MiB pulled`, { cause: error });
      });
      ok(pulled > 0, "the server started sending the body");
      await response.body?.cancel();
    } finally {
      client.close();
      await server.shutdown();
    }
  });

  Deno.test(`serve() reports a failing body and ends its response abruptly (${mode})`, async () => {
    const errors: unknown[] = [];
    const failure = new Error("source broke");
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulls++ === 0) controller.enqueue(new TextEncoder().encode("first\n"));
        else controller.error(failure);
      },
    }, { highWaterMark: 0 });
    const { server, url, client } = await start(mode, () => new Response(body), {
      onError: (error) => errors.push(error),
    });
    try {
      // Over HTTP/2 the stream may be reset before its headers arrive.
      await rejects(fetch(`${url}/watch`, { client }).then((response) => response.text()));
      equal(errors.length, 1);
      equal(errors[0], failure);
    } finally {
      client.close();
      await server.shutdown();
    }
  });

  Deno.test(`serve() shutdown closes idle keep-alive connections (${mode})`, async () => {
    const { server, url, client } = await start(mode, () => new Response("once"));
    try {
      equal(await (await fetch(`${url}/`, { client })).text(), "once");
      await within(server.shutdown(), "the server shut down");
    } finally {
      client.close();
    }
  });

  Deno.test(`serve() answers 500 and reports the error when the handler throws (${mode})`, async () => {
    const errors: unknown[] = [];
    const failure = new Error("boom");
    const { server, url, client } = await start(mode, () => {
      throw failure;
    }, { onError: (error) => errors.push(error) });
    try {
      const response = await fetch(`${url}/`, { client });
      equal(response.status, 500);
      const status = await response.json();
      equal(status.kind, "Status");
      equal(status.reason, "InternalError");
      equal(errors.length, 1);
      equal(errors[0], failure);
    } finally {
      client.close();
      await server.shutdown();
    }
  });

  Deno.test(`serve() never passes on a client-supplied ${remoteUserCnHeader} (${mode})`, async () => {
    const { server, url, client } = await start(
      mode,
      (request) => new Response(request.headers.get(remoteUserCnHeader) ?? "(none)"),
    );
    try {
      const response = await fetch(`${url}/`, {
        client,
        headers: { [remoteUserCnHeader]: "system:masters" },
      });
      equal(await response.text(), mode === "mtls" ? "kubernetes-admin" : "(none)");
    } finally {
      client.close();
      await server.shutdown();
    }
  });

  Deno.test(`serve() answers several requests on one keep-alive connection, a whole body with its length (${mode})`, async () => {
    const { server, client } = await start(
      mode,
      (request) => new Response(new URL(request.url).pathname),
    );
    client.close();
    const conn = await connect(mode, server);
    try {
      for (const path of ["/first", "/second"]) {
        await conn.write(encoder.encode(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`));
        const answer = await readUntil(conn, path);
        match(answer, /^HTTP\/1\.1 200 /);
        match(answer, new RegExp(`content-length: ${path.length}\r\n`, "i"));
      }
    } finally {
      conn.close();
      await server.shutdown();
    }
  });

  Deno.test(`serve() closes a connection whose request head does not arrive within the bound (${mode})`, async () => {
    const { server, client } = await start(mode, () => new Response("late"), {
      requestHeaderTimeoutMs: 300,
    });
    client.close();
    const silent = await connect(mode, server);
    const slow = await connect(mode, server);
    try {
      // The TLS handshake of the silent one never ends: a client that never writes.
      if (mode !== "http") await (slow as Deno.TlsConn).handshake();
      const dripping = (async () => {
        for (const byte of encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n")) {
          if (await slow.write(Uint8Array.of(byte)).then(() => false, () => true)) return;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      equal(await within(closedBy(slow), "the slow head closed"), "");
      await dripping;
      equal(await within(closedBy(silent), "the silent connection closed"), "");
    } finally {
      silent.close();
      slow.close();
      await server.shutdown();
    }
  });

  Deno.test(`serve() closes an idle keep-alive connection after the bound, never a long response (${mode})`, async () => {
    const source = ticker();
    const { server, client } = await start(
      mode,
      (request) =>
        new URL(request.url).pathname === "/watch" ? new Response(source.body) : new Response("ok"),
      { requestHeaderTimeoutMs: 300 },
    );
    client.close();
    const idle = await connect(mode, server);
    const watching = await connect(mode, server);
    try {
      await idle.write(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      match(await readUntil(idle, "ok"), /^HTTP\/1\.1 200 /);
      await watching.write(encoder.encode("GET /watch HTTP/1.1\r\nHost: x\r\n\r\n"));
      await readUntil(watching, "line 0");
      await within(closedBy(idle), "the idle connection closed");
      const lines = source.sent();
      // Three bounds later the watch still streams.
      await readUntil(watching, `line ${lines + 90}`);
      ok(source.sent() > lines + 90, "the long response went on past the bound");
    } finally {
      idle.close();
      watching.close();
      await server.shutdown();
    }
  });

  Deno.test(`serve() closes connections over the cap as soon as they are accepted, and tells (${mode})`, async () => {
    const refusals: number[] = [];
    const { server, client } = await start(mode, () => new Response("ok"), {
      maxConnections: 2,
      onRefusal: (report) => refusals.push(report.refused, report.maxConnections),
    });
    client.close();
    const held = [await connect(mode, server), await connect(mode, server)];
    try {
      // The TLS handshake proves each of the two was accepted and kept.
      if (mode !== "http") {
        await Promise.all(held.map((conn) => (conn as Deno.TlsConn).handshake()));
      }
      const raw = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      equal(await within(closedBy(raw), "the third connection closed"), "");
      raw.close();
      deepEqual(refusals, [1, 2]);
      held.pop()?.close();
      // The slot is free once the server saw the close; until then a new one is refused.
      const answer = await poll(async () => {
        const conn = await connect(mode, server);
        await conn.write(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
          .catch(() => {});
        const text = await readUntil(conn, "ok");
        conn.close();
        return text.includes("ok") ? text : undefined;
      }, { description: "an answer once a slot is free", timeoutMs: 5_000 });
      match(answer, /^HTTP\/1\.1 200 /);
    } finally {
      for (const conn of held) conn.close();
      await server.shutdown();
    }
  });

  Deno.test(`serve() rejects naming the port when it is in use (${mode})`, async () => {
    const { server, client } = await start(mode, () => new Response());
    client.close();
    try {
      const tls = mode === "http" ? {} : { tls: await tlsFor(mode) };
      await rejects(serve(() => new Response(), { ...LOCAL, ...tls, port: server.port }), {
        name: "AddrInUse",
        message:
          `Cannot listen on 127.0.0.1:${server.port} as port ${server.port} is already in use`,
      });
    } finally {
      await server.shutdown();
    }
  });
}

Deno.test("serve() gives the handler the request target and method as sent", async () => {
  const server = await serve((request) => new Response(`${request.method} ${request.url}`), LOCAL);
  try {
    for (const method of ["GET", "TRACE", "PURGE"]) {
      const answer = await rawExchange({ hostname: "127.0.0.1", port: server.port }, {
        method,
        target: "/api/v1/../v1/./services#x",
      });
      equal(answer.body, `${method} http://127.0.0.1:${server.port}/api/v1/../v1/./services#x`);
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("serve() over TLS is refused by a client that does not trust the certificate", async () => {
  const { server, url, client } = await start("https", () => new Response("secret"));
  client.close();
  const other = await generateSelfSigned({ hosts: [] });
  const stranger = Deno.createHttpClient({ caCerts: [other.cert] });
  try {
    await rejects(fetch(`${url}/`, { client: stranger }), (error: Error) => {
      match(String(error.cause ?? error), /certificate|UnknownIssuer/i);
      return true;
    });
  } finally {
    stranger.close();
    await server.shutdown();
  }
});

Deno.test("serve() shutdown is idempotent and frees the port", async () => {
  const server = await serve(() => new Response("first"), LOCAL);
  await Promise.all([server.shutdown(), server.shutdown(), server.finished]);
  await rejects(fetch(`http://127.0.0.1:${server.port}/`), "nothing answers on the port");
  const again = await serve(() => new Response("second"), { ...LOCAL, port: server.port });
  try {
    equal(again.port, server.port);
    equal(await (await fetch(`http://127.0.0.1:${again.port}/`)).text(), "second");
  } finally {
    await again.shutdown();
  }
});

Deno.test("serve() rejects an invalid port and an aborted signal", async () => {
  for (const port of [-1, 65536, 1.5, NaN]) {
    await rejects(serve(() => new Response(), { port }), {
      name: "RangeError",
      message:
        `Cannot serve as 'port' must be an integer from 0 to 65535: current value is ${port}`,
    });
  }
  const reason = new Error("stopped");
  await rejects(
    serve(() => new Response(), { port: 0, signal: AbortSignal.abort(reason) }),
    reason,
  );
});

Deno.test("serve() rejects a connection cap or a head bound that is not positive", async () => {
  for (const maxConnections of [0, -1, 1.5]) {
    await rejects(serve(() => new Response(), { ...LOCAL, maxConnections }), {
      name: "RangeError",
      message:
        `Cannot serve as 'maxConnections' must be a positive integer: current value is ${maxConnections}`,
    });
  }
  for (const requestHeaderTimeoutMs of [0, -5, NaN, Infinity]) {
    await rejects(serve(() => new Response(), { ...LOCAL, requestHeaderTimeoutMs }), {
      name: "RangeError",
      message: "Cannot serve as 'requestHeaderTimeoutMs' must be a positive number: " +
        `current value is ${requestHeaderTimeoutMs}`,
    });
  }
});

Deno.test("serve() rejects unusable TLS material before listening", async () => {
  const { cert, key } = await servingCert();
  const other = await generateSelfSigned({ hosts: [] });
  const pair = "Cannot serve as 'tls.cert' and 'tls.key' must be a PEM certificate and its key: ";
  const cases: [ServeTlsOptions, RegExp][] = [
    [{ cert: "nope", key }, new RegExp(`^${pair}.*certificate`)],
    [{ cert, key: "nope" }, new RegExp(`^${pair}.*key`)],
    [{ cert, key: other.key, clientCa: [cert] }, new RegExp(`^${pair}.*KeyMismatch`)],
    [
      { cert, key, clientCa: [] },
      /^Cannot serve as 'tls.clientCa' must hold at least one certificate: current value is \[\]$/,
    ],
    [
      { cert, key, clientCa: [cert, key] },
      /^Cannot serve as 'tls.clientCa' must hold PEM certificates: entry 1 has no CERTIFICATE block$/,
    ],
  ];
  for (const [tls, message] of cases) {
    await rejects(serve(() => new Response(), { ...LOCAL, tls }), { name: "TypeError", message });
  }
});
