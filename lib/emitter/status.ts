/**
 * Every error the Emitter answers is a `meta.k8s.io/v1` Status with the
 * HTTP code, reason, message and details kube-apiserver would use, so
 * Kubernetes clients classify it as they would a real apiserver's; the few
 * answers kube-apiserver gives as plain text (a path outside every API
 * group, an unparsable path) are plain text here too ({@linkcode PlainTextError}).
 * JSON bodies end with a newline, as Go's JSON encoder ends them.
 *
 * @module
 */

import type { Status, StatusDetails } from "kubernetes-types/meta/v1.d.ts";

/** An error that becomes a Status answer. Thrown inside the handler, rendered once at the top. */
export class StatusResponseError extends Error {
  /** HTTP status code. */
  readonly code: number;
  /** Status reason, e.g. `NotFound`. */
  readonly reason: string;
  /** Status details, if any. */
  readonly details: StatusDetails | undefined;
  /** Extra response headers, e.g. `Retry-After`. */
  readonly headers: Record<string, string>;

  /** Creates the error; `message` is the Status message as a client will show it. */
  constructor(
    code: number,
    reason: string,
    message: string,
    options: { details?: StatusDetails; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "StatusResponseError";
    this.code = code;
    this.reason = reason;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  /** The Status object. */
  toStatus(): Status {
    return failureStatus(this.code, this.reason, this.message, this.details);
  }
}

/** A failure Status object. */
export function failureStatus(
  code: number,
  reason: string,
  message: string,
  details?: StatusDetails,
): Status {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    // kube-apiserver leaves the reason out of Status answers that have none (a 500).
    ...(reason ? { reason } : {}),
    ...(details ? { details } : {}),
    code,
  };
}

/** A JSON answer, encoded as kube-apiserver encodes one (a trailing newline). */
export function jsonResponse(body: unknown, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(body) + "\n", { ...init, headers });
}

/** Renders `error` as a Status response. */
export function statusResponse(error: StatusResponseError): Response {
  return jsonResponse(error.toStatus(), { status: error.code, headers: error.headers });
}

/** An answer kube-apiserver gives as plain text, not as a Status. */
export class PlainTextError extends Error {
  /** HTTP status code. */
  readonly code: number;

  /** Creates the error; `message` is the whole body. */
  constructor(code: number, message: string) {
    super(message);
    this.name = "PlainTextError";
    this.code = code;
  }

  /** The response. */
  toResponse(): Response {
    return new Response(this.message, {
      status: this.code,
      headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" },
    });
  }
}

/** 404 for a path outside the API groups the Emitter serves, in Go's words. */
export function pageNotFound(): PlainTextError {
  return new PlainTextError(404, "404 page not found\n");
}

/** 400 BadRequest. */
export function badRequest(message: string): StatusResponseError {
  return new StatusResponseError(400, "BadRequest", message);
}

/** 404 NotFound for an object, with kube-apiserver's message and details. */
export function objectNotFound(group: string, resource: string, name: string): StatusResponseError {
  return new StatusResponseError(
    404,
    "NotFound",
    `${resource}${group ? `.${group}` : ""} "${name}" not found`,
    {
      details: { name, ...(group ? { group } : {}), kind: resource },
    },
  );
}

/** 404 NotFound for a path inside a served API group that names nothing served. */
export function pathNotFound(): StatusResponseError {
  return new StatusResponseError(
    404,
    "NotFound",
    "the server could not find the requested resource",
    {
      details: {},
    },
  );
}

/**
 * 405 MethodNotAllowed: the Emitter's resources are read-only, and
 * kube-apiserver answers this for a verb a resource does not support.
 */
export function methodNotAllowed(): StatusResponseError {
  return new StatusResponseError(
    405,
    "MethodNotAllowed",
    "the server does not allow this method on the requested resource",
    { details: {} },
  );
}

/** 406 NotAcceptable, listing the media types the endpoint serves. */
export function notAcceptable(available: string[]): StatusResponseError {
  return new StatusResponseError(
    406,
    "NotAcceptable",
    `406: Not Acceptable\n\nAvailable representations: ${available.join(", ")}`,
    { details: {} },
  );
}

/** 410 Expired: a resourceVersion older than the Emitter's history. */
export function expired(message: string): StatusResponseError {
  return new StatusResponseError(410, "Expired", message);
}
