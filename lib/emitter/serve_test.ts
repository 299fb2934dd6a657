import { equal, match, ok, rejects } from "node:assert/strict";
import { holds } from "../../tests/support/holds.ts";
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
