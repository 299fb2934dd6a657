/**
 * The bounds on what one source may send, and the error that says a
 * source went past one. A source is not trusted: a list that never ends, a
 * body that never ends, a huge event or an endless supply of objects would
 * otherwise grow the process without bound. Past a bound, that source's
 * list or watch fails and is retried with backoff; its caches keep what
 * they held (a failed relist replaces nothing), so its mirrors stay as they
 * were, and every other source goes on.
 *
 * @module
 */

import { LimitExceededError, type LimitName } from "../kube/limit_error.ts";

/** The bounds on one source, each set by a `--reflector.source-max-*` flag. */
export interface SourceLimits {
  /** Most pages one list may take. */
  maxListPages: number;
  /** Most bytes of one list (all its pages together), and of a discovery document. */
  maxListBytes: number;
  /** Most bytes of one watch event. */
  maxEventBytes: number;
  /** Most objects of each kind (Services, EndpointSlices, Endpoints) the source may hold. */
  maxObjects: number;
}

const mebibyte = 1024 * 1024;

/**
 * The defaults, far above what real clusters send (10,000 Services and
 * 150,000 Pods are Kubernetes' scalability limits; an object stored in
 * etcd is at most 1.5 MiB by default) and small enough that one source can
 * cost a few hundred MiB at most.
 */
export const defaultSourceLimits: Readonly<SourceLimits> = {
  maxListPages: 1000,
  maxListBytes: 256 * mebibyte,
  maxEventBytes: 4 * mebibyte,
  maxObjects: 100_000,
};

/** The flag that sets each bound. */
export const sourceLimitFlags: Readonly<Record<keyof SourceLimits, string>> = {
  maxListPages: "--reflector.source-max-list-pages",
  maxListBytes: "--reflector.source-max-list-bytes",
  maxEventBytes: "--reflector.source-max-event-bytes",
  maxObjects: "--reflector.source-max-objects",
};

/** Which source bound each bound of lib/kube enforces. */
const byKubeLimit: Readonly<Record<LimitName, keyof SourceLimits>> = {
  maxBytes: "maxListBytes",
  maxListPages: "maxListPages",
  maxListBytes: "maxListBytes",
  maxListItems: "maxObjects",
  maxLineBytes: "maxEventBytes",
  maxObjects: "maxObjects",
};

/** A source sent more than one of its {@linkcode SourceLimits} allows. */
export class SourceLimitError extends Error {
  /** The source's name. */
  readonly source: string;
  /** The bound exceeded. */
  readonly limit: keyof SourceLimits;
  /** Its value. */
  readonly max: number;
  /** The flag that sets it. */
  readonly flag: string;

  /** Names the source, the flag and its value, then what `cause` says (the request). */
  constructor(source: string, cause: LimitExceededError) {
    const limit = byKubeLimit[cause.limit];
    const flag = sourceLimitFlags[limit];
    super(
      `Source "${source}" sent more than ${flag}=${cause.max} allows: ${cause.message}`,
      { cause },
    );
    this.name = "SourceLimitError";
    this.source = source;
    this.limit = limit;
    this.max = cause.max;
    this.flag = flag;
  }
}

/** `error` as a {@linkcode SourceLimitError} of `source` when it is a bound exceeded, else as it is. */
export function blamingSource(source: string, error: unknown): unknown {
  return error instanceof LimitExceededError ? new SourceLimitError(source, error) : error;
}
