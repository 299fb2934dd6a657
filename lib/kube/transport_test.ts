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
    await rejects(transport.request("/slow"), {
      name: "TransportError",
      message: `GET ${url}/slow failed: no answer within 50 ms`,
    });
    hold.resolve();
  });
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
