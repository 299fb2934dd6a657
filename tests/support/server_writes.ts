/**
 * Writes counted where they happen: at the host's kube-apiserver, from its
 * audit log ({@linkcode Cluster.auditLogPath}), never from what a component
 * reports of itself. A check that something "writes nothing" reads these,
 * so that a write on a path that skips its own report still fails it.
 *
 * Contract:
 * - {@linkcode markServerWrites} marks a moment; {@linkcode WritesMark.writes}
 *   returns every write request the apiserver received from then on whose
 *   answer it has sent, failed ones (4xx, 5xx) included: an attempt is a
 *   write as much as a success is. Reads, watches and reviews (access,
 *   token) are not writes and are not logged.
 * - The log is written before each response ends (blocking mode), so a
 *   write whose answer a client has read is always there.
 * - Requests of the same identity and user agent cannot be told apart: a
 *   test that must tell two writers apart gives them different user agents
 *   (the Reflector harness does) or different credentials.
 * - A filter that matches nothing makes "wrote nothing" pass for nothing:
 *   a check should also see its filter match the writer's earlier writes.
 * - A rotated log (past `cluster.ts`'s size bound) is an error, never a gap.
 *
 * @module
 */

import type { Cluster } from "../cluster/mod.ts";

/** Verbs the test clusters' audit policy logs. */
export type WriteVerb = "create" | "update" | "patch" | "delete" | "deletecollection";

/** One write request as kube-apiserver logged it. */
export interface ServerWrite {
  /** The request's verb. */
  verb: WriteVerb;
  /** Plural resource, e.g. `services`, `endpointslices`, `events`, `leases`. */
  resource: string;
  /** Subresource, e.g. `status`, if any. */
  subresource: string | undefined;
  /** API group; empty for the core group. */
  apiGroup: string;
  /** Namespace of the object, if namespaced. */
  namespace: string | undefined;
  /** Name of the object; undefined for a create by `generateName`. */
  name: string | undefined;
  /** The authenticated user. */
  username: string;
  /** The `User-Agent` header. */
  userAgent: string;
  /** HTTP status of the answer. */
  code: number;
  /** When the apiserver received it, in ms since the epoch. */
  receivedAt: number;
}

/** Which writes {@linkcode WritesMark.writes} returns; every given field must match. */
export interface WriteFilter {
  /** Only requests with exactly this `User-Agent`. */
  userAgent?: string;
  /** Only requests of this user. */
  username?: string;
  /** Only writes of these resources. */
  resources?: readonly string[];
  /** No writes of these resources. */
  exceptResources?: readonly string[];
}

/** A moment in a cluster's audit log. */
export interface WritesMark {
  /** When the mark was made, in ms since the epoch. */
  readonly at: number;
  /** The writes received since the mark that match `filter`, in the order logged. */
  writes(filter?: WriteFilter): Promise<ServerWrite[]>;
}

/** The audit log shrank: kube-apiserver rotated it, and writes would be missed. */
export class AuditLogRotatedError extends Error {
  /** Path of the audit log. */
  readonly path: string;

  constructor(path: string, size: number, offset: number) {
    super(
      `Cannot read writes from "${path}" as it shrank to ${size} bytes below the mark at ${offset}: the audit log was rotated`,
    );
    this.name = "AuditLogRotatedError";
    this.path = path;
  }
}

/** Marks now in `cluster`'s audit log; see the module doc. */
export async function markServerWrites(cluster: Cluster): Promise<WritesMark> {
  const path = cluster.auditLogPath;
  // Size first, then time: a line before the offset was logged before the
  // mark, so of a request received before it; the time drops the rest.
  const offset = (await Deno.stat(path)).size;
  const at = Date.now();
  return {
    at,
    async writes(filter = {}) {
      const all = await logged(path, offset);
      return all.filter((write) => write.receivedAt >= at && matches(write, filter));
    },
  };
}

/** `verb resource namespace/name by userAgent: code`, for failure messages. */
export function describeWrite(write: ServerWrite): string {
  const resource = write.subresource ? `${write.resource}/${write.subresource}` : write.resource;
  const object = [write.namespace, write.name ?? "(generated)"].filter(Boolean).join("/");
  return `${write.verb} ${resource} ${object} by ${write.userAgent}: ${write.code}`;
}

function matches(write: ServerWrite, filter: WriteFilter): boolean {
  return (filter.userAgent === undefined || write.userAgent === filter.userAgent) &&
    (filter.username === undefined || write.username === filter.username) &&
    (filter.resources === undefined || filter.resources.includes(write.resource)) &&
    !(filter.exceptResources?.includes(write.resource) ?? false);
}

/** The fields of an audit.k8s.io/v1 Event read here. */
interface AuditEvent {
  verb: string;
  stage: string;
  user?: { username?: string };
  userAgent?: string;
  objectRef?: {
    resource?: string;
    subresource?: string;
    apiGroup?: string;
    namespace?: string;
    name?: string;
  };
  responseStatus?: { code?: number };
  requestReceivedTimestamp: string;
}

/** Every whole line of the log from byte `offset` on, as writes. */
async function logged(path: string, offset: number): Promise<ServerWrite[]> {
  using file = await Deno.open(path);
  const { size } = await file.stat();
  if (size < offset) throw new AuditLogRotatedError(path, size, offset);
  await file.seek(offset, Deno.SeekMode.Start);
  const bytes = new Uint8Array(size - offset);
  for (let read = 0; read < bytes.length;) {
    const count = await file.read(bytes.subarray(read));
    if (count === null) break;
    read += count;
  }
  const text = new TextDecoder().decode(bytes);
  // The last line may be being written: only lines with their newline are whole.
  const lines = text.slice(0, text.lastIndexOf("\n") + 1).split("\n").filter(Boolean);
  return lines.map((line) => JSON.parse(line) as AuditEvent)
    .filter((event) => event.stage === "ResponseComplete")
    .map((event) => ({
      verb: event.verb as WriteVerb,
      resource: event.objectRef?.resource ?? "",
      subresource: event.objectRef?.subresource,
      apiGroup: event.objectRef?.apiGroup ?? "",
      namespace: event.objectRef?.namespace,
      name: event.objectRef?.name,
      username: event.user?.username ?? "",
      userAgent: event.userAgent ?? "",
      code: event.responseStatus?.code ?? 0,
      receivedAt: Date.parse(event.requestReceivedTimestamp),
    }));
}
