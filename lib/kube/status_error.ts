/**
 * Kubernetes API errors as values: every non-2xx answer becomes a
 * {@linkcode StatusError} carrying the server's `Status` (code, reason,
 * message, details), and callers classify it by reason and code with the
 * predicates below, never by matching message text.
 *
 * As in client-go's apimachinery errors, a predicate trusts the reason when
 * the server gave one and falls back to the HTTP code only when it did not.
 *
 * @module
 */

import type { Status } from "kubernetes-types/meta/v1.d.ts";
import { readBoundedText } from "./_bounded_body.ts";

/** A Kubernetes API request answered with a failure `Status`. */
export class StatusError extends Error {
  /** The server's Status, or one built from the HTTP answer if the body was not a Status. */
  readonly status: Status;
  /** HTTP status code. */
  readonly code: number;
  /** Machine-readable reason, e.g. `NotFound`; empty if the server gave none. */
  readonly reason: string;
  /** Seconds the server asked the client to wait (`Retry-After`), if it did. */
  readonly retryAfterSeconds: number | undefined;

  /** `request` names what failed, e.g. `GET https://host/api/v1/services`. */
  constructor(request: string, status: Status, retryAfterSeconds?: number) {
    const code = status.code ?? 0;
    const reason = status.reason ?? "";
    super(`${request} failed with ${code}${reason ? ` ${reason}` : ""}: ${status.message ?? ""}`);
    this.name = "StatusError";
    this.status = status;
    this.code = code;
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds ?? status.details?.retryAfterSeconds;
  }
}

/** Most bytes of a failure's body read: a Status is small, and a server may send no end of one. */
export const maxStatusBodyBytes = 64 * 1024;

/**
 * Builds the {@linkcode StatusError} for a non-2xx `response` to `request`
 * (e.g. `GET https://host/api/v1/...`), consuming at most
 * {@linkcode maxStatusBodyBytes} of the body and cancelling the rest.
 */
export async function statusErrorFrom(response: Response, request: string): Promise<StatusError> {
  const text = await readBoundedText(response, {
    maxBytes: maxStatusBodyBytes,
    request,
    truncate: true,
  }).then((body) => body.text, () => "");
  return new StatusError(
    request,
    statusFromBody(text, response.status, response.statusText),
    parseRetryAfter(response.headers.get("retry-after")),
  );
}

/**
 * The Status in `text` if it holds one, else a Status built from the HTTP
 * `code` (a proxy or a server that is not Kubernetes answered).
 */
export function statusFromBody(text: string, code: number, statusText = ""): Status {
  try {
    const parsed = JSON.parse(text) as Status | null;
    if (parsed?.kind === "Status") return { ...parsed, code: parsed.code || code };
  } catch {
    // Not JSON: handled below.
  }
  return {
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    code,
    reason: reasonForCode(code),
    message: text.trim().slice(0, 512) || statusText,
  };
}

function is(error: unknown, reasons: string[], code: number): boolean {
  if (!(error instanceof StatusError)) return false;
  return error.reason ? reasons.includes(error.reason) : error.code === code;
}

/** The object does not exist (404 NotFound). */
export function isNotFound(error: unknown): boolean {
  return is(error, ["NotFound"], 404);
}

/** The object exists already (409 AlreadyExists; a bare 409 is a conflict instead). */
export function isAlreadyExists(error: unknown): boolean {
  return is(error, ["AlreadyExists"], -1);
}

/** A write lost a race: the resourceVersion or a precondition did not match (409 Conflict). */
export function isConflict(error: unknown): boolean {
  return is(error, ["Conflict"], 409);
}

/**
 * The resourceVersion asked for is no longer available (410 Gone or
 * Expired): a list or watch must start again from a fresh list.
 */
export function isGone(error: unknown): boolean {
  return is(error, ["Gone", "Expired"], 410);
}

/** The credentials are missing or not accepted (401 Unauthorized). */
export function isUnauthorized(error: unknown): boolean {
  return is(error, ["Unauthorized"], 401);
}

/** The caller may not do this (403 Forbidden). */
export function isForbidden(error: unknown): boolean {
  return is(error, ["Forbidden"], 403);
}

/** The object was rejected by validation (422 Invalid). */
export function isInvalid(error: unknown): boolean {
  return is(error, ["Invalid"], 422);
}

/** The server sheds load (429); see {@linkcode StatusError.retryAfterSeconds}. */
export function isTooManyRequests(error: unknown): boolean {
  return is(error, ["TooManyRequests"], 429);
}

/** Seconds to wait before retrying, as the server asked, or undefined. */
export function retryAfterSeconds(error: unknown): number | undefined {
  return error instanceof StatusError ? error.retryAfterSeconds : undefined;
}

const reasons: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  409: "Conflict",
  410: "Gone",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

function reasonForCode(code: number): string {
  return reasons[code] ?? "";
}

/** Parses a `Retry-After` header given in seconds (the form Kubernetes sends). */
function parseRetryAfter(header: string | null): number | undefined {
  const value = header?.trim();
  return value && /^\d+$/.test(value) ? Number(value) : undefined;
}
