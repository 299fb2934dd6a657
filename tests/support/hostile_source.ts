/**
 * A source cluster that misbehaves on purpose, as a real HTTP server on
 * loopback: it answers discovery as a server of EndpointSlices, and hands
 * every list and watch of Services and EndpointSlices to the test. What no
 * real apiserver can be made to send (lists that never end, huge events,
 * wrongly typed objects) is sent from here.
 *
 * @module
 */

import { configFromUrl } from "../../lib/kube/config/client_config.ts";
import type { SourceLimits } from "../../lib/reflector/source_limits.ts";
import type { SourceConfig } from "../../lib/reflector/source_config.ts";

/** One list or watch request the source got. */
export interface HostileRequest {
  /** `services` or `endpointslices`. */
  resource: string;
  /** Whether it is a watch. */
  watch: boolean;
  /** Its query. */
  query: URLSearchParams;
  /** The request, for its signal. */
  request: Request;
}

/** A hostile source running on loopback; `await using` stops it. */
export interface HostileSource extends AsyncDisposable {
  /** The source as a Reflector takes it. */
  options: SourceConfig;
  /** Every list and watch request, in order. */
  requests: HostileRequest[];
}

const encoder = new TextEncoder();

/** A list answer of `items`. */
export function listOf(items: unknown[], resourceVersion = "1", next?: string): Response {
  return Response.json({
    metadata: { resourceVersion, ...(next ? { continue: next } : {}) },
    items,
  });
}

/**
 * A watch answer sending `lines` (each a whole line, `\n` added), then
 * holding the stream open until the client goes, or, with `closeAfterMs`,
 * ending it then.
 */
export function watchOf(lines: string[], options: { closeAfterMs?: number } = {}): Response {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const line of lines) controller.enqueue(encoder.encode(`${line}\n`));
      if (options.closeAfterMs !== undefined) {
        timer = setTimeout(() => controller.close(), options.closeAfterMs);
      }
    },
    cancel() {
      clearTimeout(timer);
    },
  });
  return new Response(body, { headers: { "content-type": "application/json" } });
}

/** One watch event line. */
export function eventLine(type: string, object: unknown): string {
  return JSON.stringify({ type, object });
}

/** Starts a source named `name` whose lists and watches `answer` answers. */
export function hostileSource(
  name: string,
  answer: (request: HostileRequest) => Response | Promise<Response>,
  limits: Partial<SourceLimits> = {},
): HostileSource {
  const requests: HostileRequest[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      const url = new URL(request.url);
      if (url.pathname === "/apis/discovery.k8s.io/v1") {
        return Response.json({
          kind: "APIResourceList",
          groupVersion: "discovery.k8s.io/v1",
          resources: [{
            name: "endpointslices",
            namespaced: true,
            kind: "EndpointSlice",
            verbs: ["list", "watch"],
          }],
        });
      }
      const resource = url.pathname.split("/").at(-1) ?? "";
      if (resource !== "services" && resource !== "endpointslices") {
        return Response.json({ kind: "Status", code: 404, reason: "NotFound" }, { status: 404 });
      }
      const seen = {
        resource,
        watch: url.searchParams.get("watch") === "true",
        query: url.searchParams,
        request,
      };
      requests.push(seen);
      return answer(seen);
    },
  );
  return {
    options: {
      name,
      config: configFromUrl(`http://127.0.0.1:${server.addr.port}`),
      selector: "",
      limits,
    },
    requests,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}
