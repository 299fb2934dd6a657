/**
 * Every error the Emitter answers is a `meta.k8s.io/v1` Status with the
 * HTTP code, reason and message kube-apiserver would use, so Kubernetes
 * clients classify it as they would a real apiserver's.
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
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

/** Renders `error` as a Status response. */
export function statusResponse(error: StatusResponseError): Response {
  return Response.json(error.toStatus(), { status: error.code, headers: error.headers });
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

/** 404 NotFound for a path the Emitter does not serve. */
export function pathNotFound(path: string): StatusResponseError {
  return new StatusResponseError(
    404,
    "NotFound",
    `the server could not find the requested resource (path ${path})`,
    {
      details: { causes: [{ reason: "UnexpectedServerResponse", message: "404 page not found" }] },
    },
  );
}

/** 405 MethodNotAllowed: the Emitter is read-only. */
export function methodNotAllowed(method: string, path: string): StatusResponseError {
  return new StatusResponseError(
    405,
    "MethodNotAllowed",
    `the server does not allow this method on the requested resource: ${method} ${path} (the Emitter is read-only)`,
  );
}

/** 410 Expired: a resourceVersion older than the Emitter's history. */
export function expired(message: string): StatusResponseError {
  return new StatusResponseError(410, "Expired", message);
}
