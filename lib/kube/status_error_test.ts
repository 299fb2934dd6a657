import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  isAlreadyExists,
  isConflict,
  isForbidden,
  isGone,
  isInvalid,
  isNotFound,
  isTooManyRequests,
  isUnauthorized,
  retryAfterSeconds,
  StatusError,
  statusErrorFrom,
  statusFromBody,
} from "./status_error.ts";

const request = "GET https://example.test/api/v1/services";

Deno.test("statusErrorFrom() keeps the server's Status and Retry-After", async () => {
  const status = {
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    message: "too many requests, please try again later",
    reason: "TooManyRequests",
    code: 429,
  };
  const error = await statusErrorFrom(
    new Response(JSON.stringify(status), { status: 429, headers: { "retry-after": "3" } }),
    request,
  );
  deepStrictEqual(error.status, status);
  equal(
    error.message,
    `${request} failed with 429 TooManyRequests: too many requests, please try again later`,
  );
  ok(isTooManyRequests(error));
  equal(retryAfterSeconds(error), 3);
});

Deno.test("statusErrorFrom() builds a Status from a body that is not one", async () => {
  const error = await statusErrorFrom(
    new Response("upstream connect error", { status: 503 }),
    request,
  );
  equal(error.code, 503);
  equal(error.reason, "ServiceUnavailable");
  equal(error.status.message, "upstream connect error");
  equal(retryAfterSeconds(error), undefined);
});

Deno.test("statusFromBody() fills a missing code from the HTTP status", () => {
  deepStrictEqual(statusFromBody('{"kind":"Status","reason":"Expired"}', 410), {
    kind: "Status",
    reason: "Expired",
    code: 410,
  });
});

Deno.test("predicates trust the reason first and the code only without one", () => {
  const make = (code: number, reason?: string) =>
    new StatusError(request, { code, ...(reason ? { reason } : {}) });
  ok(isNotFound(make(404)));
  ok(isNotFound(make(404, "NotFound")));
  ok(!isNotFound(make(404, "SomethingElse")));
  ok(isAlreadyExists(make(409, "AlreadyExists")));
  ok(!isConflict(make(409, "AlreadyExists")));
  ok(isConflict(make(409)));
  ok(isGone(make(410, "Gone")));
  ok(isGone(make(410, "Expired")));
  ok(isGone(make(410)));
  ok(isUnauthorized(make(401)));
  ok(isForbidden(make(403, "Forbidden")));
  ok(isInvalid(make(422, "Invalid")));
  ok(!isNotFound(new Error("404")));
  equal(retryAfterSeconds(new Error("x")), undefined);
});

Deno.test("StatusError takes retryAfterSeconds from Status details without a header", () => {
  const error = new StatusError(request, {
    code: 429,
    reason: "TooManyRequests",
    details: { retryAfterSeconds: 7 },
  });
  equal(error.retryAfterSeconds, 7);
});
