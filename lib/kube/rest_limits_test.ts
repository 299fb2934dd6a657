/**
 * RestClient.list and the transport against loopback servers that send
 * what no apiserver would: lists that are not lists, and failures whose
 * body never ends.
 */
import { equal, ok, rejects } from "node:assert/strict";
import { configFromUrl } from "./config/client_config.ts";
import { LimitExceededError } from "./limit_error.ts";
import { RestClient } from "./rest.ts";
import { configMaps } from "../../tests/support/resources.ts";
import { StatusError } from "./status_error.ts";
import { Transport, TransportError } from "./transport.ts";

async function withServer(
  handler: (request: Request) => Response,
  body: (rest: RestClient) => Promise<void>,
): Promise<void> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  using transport = new Transport(configFromUrl(`http://127.0.0.1:${server.addr.port}`));
  try {
    await body(new RestClient(transport));
  } finally {
    await server.shutdown();
  }
}

Deno.test("RestClient.list() refuses a page that is not a list, naming what is wrong", async () => {
  const pages: [unknown, string][] = [
    [[], "expected an object, got []"],
    [{ items: "abc" }, `expected 'items' to be an array, got "abc"`],
    [{ items: [{}, 7] }, "expected items[1] to be an object, got 7"],
    [
      { items: [], metadata: { continue: 3 } },
      "expected 'metadata.continue' to be a string, got 3",
    ],
    [{ items: [], metadata: [] }, "expected 'metadata' to be an object, got []"],
  ];
  for (const [page, problem] of pages) {
    await withServer(() => Response.json(page), async (rest) => {
      const error = await rest.list(configMaps).catch((error) => error);
      ok(error instanceof TransportError, String(error));
      ok(
        error.message.endsWith(
          `/api/v1/configmaps?limit=500 failed: the answer is not a list: ${problem}`,
        ),
        error.message,
      );
    });
  }
});

Deno.test("RestClient.list() counts the whole-list fallback after a 410 as a page", async () => {
  let requests = 0;
  await withServer((request) => {
    requests++;
    if (new URL(request.url).searchParams.has("continue")) {
      return Response.json({ kind: "Status", code: 410, reason: "Expired" }, { status: 410 });
    }
    return Response.json({ metadata: { continue: "next" }, items: [{ metadata: { name: "a" } }] });
  }, async (rest) => {
    await rejects(rest.list(configMaps, { maxPages: 2 }), (error: unknown) => {
      ok(error instanceof LimitExceededError, String(error));
      equal(error.limit, "maxListPages");
      equal(error.max, 2);
      return true;
    });
    equal(requests, 2);
  });
});

Deno.test("RestClient.list() refuses more objects than maxItems and a bound that is not positive", async () => {
  await withServer(
    () => Response.json({ items: [{ metadata: { name: "a" } }, { metadata: { name: "b" } }] }),
    async (rest) => {
      await rejects(rest.list(configMaps, { maxItems: 1 }), {
        name: "LimitExceededError",
        message:
          /configmaps\?limit=500 exceeds 'maxListItems' of 1: the list holds more than 1 objects$/,
      });
      await rejects(rest.list(configMaps, { maxBytes: 0 }), {
        name: "RangeError",
        message:
          "Cannot list configmaps as 'maxBytes' must be a positive integer: current value is 0",
      });
      equal(
        (await rest.list(configMaps, { maxItems: 2, maxBytes: 1000, maxPages: 1 })).items.length,
        2,
      );
    },
  );
});

Deno.test("Transport reads at most 64 KiB of a failure's body that never ends", async () => {
  let sent = 0;
  await withServer(() => {
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 16 * 1024;
        controller.enqueue(new Uint8Array(16 * 1024).fill(0x61));
      },
    });
    return new Response(body, { status: 500 });
  }, async (rest) => {
    const error = await rest.list(configMaps).catch((error) => error);
    ok(error instanceof StatusError, String(error));
    equal(error.code, 500);
    equal(error.message.length < 1024, true);
  });
  // The server could push some more into socket buffers; the client read 64 KiB.
  ok(sent < 32 * 1024 * 1024, `${sent}`);
});
