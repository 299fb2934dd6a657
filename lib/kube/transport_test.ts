import { deepStrictEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { configFromUrl } from "./config/client_config.ts";
import { isNotFound, StatusError } from "./status_error.ts";
import { Transport, TransportError } from "./transport.ts";
import { version } from "../version.ts";

/** Serves `handler` on a loopback port for the duration of `body`. */
async function withServer(
  handler: (request: Request) => Response | Promise<Response>,
  body: (url: string) => Promise<void>,
): Promise<void> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  try {
    await body(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

Deno.test("Transport sends JSON with the user agent and the query, and parses the answer", async () => {
  let seen: {
    method: string;
    url: string;
    accept: string | null;
    agent: string | null;
    type: string | null;
    body: string;
  } | undefined;
  await withServer(async (request) => {
    seen = {
      method: request.method,
      url: request.url,
      accept: request.headers.get("accept"),
      agent: request.headers.get("user-agent"),
      type: request.headers.get("content-type"),
      body: await request.text(),
    };
    return Response.json({ ok: true });
  }, async (url) => {
    using transport = new Transport(configFromUrl(`${url}/prefix/`));
    const answer = await transport.json(`/api/v1/services`, {
      method: "POST",
      query: { labelSelector: "a=b", skipped: undefined, limit: 5 },
      body: { x: 1 },
    });
    deepStrictEqual(answer, { ok: true });
  });
  deepStrictEqual(seen, {
    method: "POST",
    url: seen?.url,
    accept: "application/json",
    agent: `service-reflector/${version} (Deno ${Deno.version.deno})`,
    type: "application/json",
    body: '{"x":1}',
  });
  const url = new URL(seen?.url ?? "");
  equal(url.pathname, "/prefix/api/v1/services");
  equal(url.search, "?labelSelector=a%3Db&limit=5");
});

Deno.test("Transport turns a non-2xx answer into a StatusError", async () => {
  await withServer(
    () =>
      Response.json({
        kind: "Status",
        code: 404,
        reason: "NotFound",
        message: 'services "x" not found',
      }, { status: 404 }),
    async (url) => {
      using transport = new Transport(configFromUrl(url));
      const error = await transport.request("/api/v1/namespaces/a/services/x").catch((error) =>
        error
      );
      ok(error instanceof StatusError);
      ok(isNotFound(error));
      equal(
        error.message,
        `GET ${url}/api/v1/namespaces/a/services/x failed with 404 NotFound: services "x" not found`,
      );
    },
  );
});

Deno.test("Transport bounds a request that gets no answer", async () => {
  const hold = Promise.withResolvers<void>();
  await withServer(async () => {
    await hold.promise;
    return new Response("late");
  }, async (url) => {
    using transport = new Transport(configFromUrl(url), { timeoutMs: 50 });
    const error = await transport.request("/slow").catch((error) => error);
    ok(error instanceof TransportError);
    equal(error.message, `GET ${url}/slow failed: no answer within 50 ms`);
    ok(error.cause instanceof DOMException && error.cause.name === "TimeoutError");
    hold.resolve();
  });
});

/** A stalled JSON body: its first bytes, then nothing until the client goes. */
const stalled = () =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"kind":"ServiceList","items":['));
      },
    }),
    { headers: { "content-type": "application/json" } },
  );

Deno.test("Transport bounds a body that stops arriving, naming the request and the bound", async () => {
  await withServer(stalled, async (url) => {
    using transport = new Transport(configFromUrl(url), { timeoutMs: 100 });
    const error = await transport.json("/api/v1/services").catch((error) => error);
    ok(error instanceof TransportError, String(error));
    equal(error.message, `GET ${url}/api/v1/services failed: body not read within 100 ms`);
    ok(error.cause instanceof DOMException && error.cause.name === "TimeoutError");

    // The caller's abort during the body read is its own reason, not a timeout.
    const controller = new AbortController();
    const pending = transport.json("/api/v1/services", {
      timeoutMs: 5_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error("shutting down")), 50);
    await rejects(pending, { message: "shutting down" });
  });
});

Deno.test("Transport reports a body cut short as a TransportError naming the request", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const connection = await listener.accept();
    await connection.read(new Uint8Array(4096));
    await connection.write(
      new TextEncoder().encode(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n" +
          '{"kind":"ServiceList","items":[',
      ),
    );
    connection.close();
  })();
  try {
    const url = `http://127.0.0.1:${listener.addr.port}`;
    using transport = new Transport(configFromUrl(url));
    const error = await transport.json("/api/v1/services").catch((error) => error);
    ok(error instanceof TransportError, String(error));
    ok(
      error.message.startsWith(`GET ${url}/api/v1/services: reading the body failed: `),
      error.message,
    );
  } finally {
    await serving;
    listener.close();
  }
});

Deno.test("Transport passes the caller's abort reason through unchanged", async () => {
  const hold = Promise.withResolvers<void>();
  await withServer(async () => {
    await hold.promise;
    return new Response("late");
  }, async (url) => {
    using transport = new Transport(configFromUrl(url));
    const controller = new AbortController();
    const pending = transport.request("/slow", { signal: controller.signal });
    controller.abort(new Error("shutting down"));
    await rejects(pending, { message: "shutting down" });
    hold.resolve();
  });
});

Deno.test("Transport reports a refused connection as a TransportError naming the request", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  using transport = new Transport(configFromUrl(`http://127.0.0.1:${port}`));
  const error = await transport.request("/api").catch((error) => error);
  ok(error instanceof TransportError);
  ok(error.message.startsWith(`GET http://127.0.0.1:${port}/api failed: `), error.message);
});

Deno.test("Transport refuses a non-positive timeout and requests after close", async () => {
  throws(() => new Transport(configFromUrl("http://127.0.0.1:1"), { timeoutMs: 0 }), {
    name: "RangeError",
    message: "Cannot create transport as 'timeoutMs' must be a positive number: current value is 0",
  });
  const transport = new Transport(configFromUrl("http://127.0.0.1:1"));
  transport.close();
  await rejects(transport.request("/api"), {
    name: "TransportError",
    message: "GET http://127.0.0.1:1/api failed: the transport is closed",
  });
});

Deno.test("Transport names the config when its CA is not a certificate", async () => {
  const broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  using transport = new Transport(configFromUrl("https://127.0.0.1:1", { caCerts: [broken] }));
  const error = await transport.request("/api").catch((error) => error);
  ok(error instanceof TypeError, String(error));
  ok(
    error.message.startsWith("Cannot use the TLS settings of URL https://127.0.0.1:1/:"),
    error.message,
  );
});
