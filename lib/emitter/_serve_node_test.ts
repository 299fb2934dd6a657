// The mutual-TLS listener, through serve(): who the handshake lets in, and
// how a request on the wire becomes a `Request`. Behaviour shared with the
// other listeners (streaming, shutdown, errors) is tested in serve_test.ts.

import { equal, match, ok } from "node:assert/strict";
import { generatePki, type Pki, withTempDir } from "../../tests/support/kubeconfig_fixtures.ts";
import { remoteUserCnHeader, serve, type Server } from "./serve.ts";
import { generateSelfSigned, type SelfSigned } from "./self_signed.ts";

interface Fixture {
  serving: SelfSigned;
  /** The CA that the server trusts for client certificates. */
  trusted: Pki;
  /** An unrelated CA with a client certificate of the same name. */
  foreign: Pki;
}
let fixture: Promise<Fixture> | undefined;
function fixtures(): Promise<Fixture> {
  fixture ??= (async () => ({
    serving: await generateSelfSigned({ hosts: [] }),
    trusted: await withTempDir(generatePki),
    foreign: await withTempDir(generatePki),
  }))();
  return fixture;
}

/** Serves `handler` with mutual TLS trusting `trusted`'s CA; runs `fn`; shuts down. */
async function withServer(
  handler: (request: Request) => Response,
  fn: (server: Server, fixture: Fixture) => Promise<void>,
): Promise<void> {
  const f = await fixtures();
  const { cert, key } = f.serving;
  const server = await serve(handler, {
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert, key, clientCa: [f.trusted.ca] },
  });
  try {
    await fn(server, f);
  } finally {
    await server.shutdown();
  }
}

Deno.test("serve() with tls.clientCa tells the handler the verified client's CN", async () => {
  await withServer(
    (request) => new Response(request.headers.get(remoteUserCnHeader)),
    async (server, { serving, trusted }) => {
      const client = Deno.createHttpClient({
        caCerts: [serving.cert],
        cert: trusted.cert,
        key: trusted.key,
      });
      try {
        const response = await fetch(`https://127.0.0.1:${server.port}/`, { client });
        equal(await response.text(), "kubernetes-admin");
      } finally {
        client.close();
      }
    },
  );
});

/**
 * Asserts that the handshake refuses `client` (the handler never runs, the
 * fetch fails, as `cause` says if given) while the same server answers a
 * trusted client, so the refusal is the certificate's doing.
 */
async function refuses(
  client: (fixture: Fixture) => Deno.HttpClient,
  cause?: RegExp,
): Promise<void> {
  const seen: string[] = [];
  await withServer(() => {
    seen.push("request");
    return new Response("secret");
  }, async (server, fixture) => {
    const url = `https://127.0.0.1:${server.port}/`;
    const refused = client(fixture);
    const trusted = Deno.createHttpClient({
      caCerts: [fixture.serving.cert],
      cert: fixture.trusted.cert,
      key: fixture.trusted.key,
    });
    try {
      const failure = await fetch(url, { client: refused }).then(() => undefined, (error) => error);
      ok(failure instanceof Error, "the refused client got no answer");
      if (cause) match(String(failure.cause ?? failure), cause);
      equal(seen.length, 0, "the handler never ran for the refused client");
      equal(await (await fetch(url, { client: trusted })).text(), "secret");
    } finally {
      refused.close();
      trusted.close();
    }
  });
}

Deno.test("serve() with tls.clientCa refuses a client without a certificate", async () => {
  // node:tls over a connection it did not accept ends the handshake without its alert.
  await refuses(({ serving }) => Deno.createHttpClient({ caCerts: [serving.cert] }));
});

Deno.test("serve() with tls.clientCa refuses a client certificate of another CA", async () => {
  // The server ends the handshake without an alert the client could name.
  await refuses(
    ({ serving, foreign }) =>
      Deno.createHttpClient({ caCerts: [serving.cert], cert: foreign.cert, key: foreign.key }),
  );
});

Deno.test("serve() with tls.clientCa keeps the Host and the path of a request apart", async () => {
  await withServer((request) => new Response(request.url), async (server, { serving, trusted }) => {
    const raw = async (head: string) => {
      const conn = await Deno.connectTls({
        hostname: "127.0.0.1",
        port: server.port,
        caCerts: [serving.cert],
        cert: trusted.cert,
        key: trusted.key,
      });
      await conn.write(new TextEncoder().encode(`${head}\r\nConnection: close\r\n\r\n`));
      return await new Response(conn.readable).text();
    };
    const answered = (answer: string, status: number, body: string) =>
      answer.startsWith(`HTTP/1.1 ${status} `) && answer.includes(body);
    const local = `127.0.0.1:${server.port}`;
    const smuggled = await raw(`GET //evil.example/x HTTP/1.1\r\nHost: ${local}`);
    ok(answered(smuggled, 200, `https://${local}//evil.example/x`), smuggled);
    const hostless = await raw(`GET /x HTTP/1.0`);
    ok(answered(hostless, 200, `https://${local}/x`), hostless);
    const badHost = await raw(`GET /x HTTP/1.1\r\nHost: evil.example/y?`);
    ok(answered(badHost, 400, `"reason":"BadRequest"`), badHost);
    const absolute = await raw(`GET http://evil.example/x HTTP/1.1\r\nHost: a`);
    ok(answered(absolute, 400, `"reason":"BadRequest"`), absolute);
  });
});
