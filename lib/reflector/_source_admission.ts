/**
 * The source boundary: every object a source sends is checked against the
 * shape the Reflector reads (`source_shape.ts`) before its informer caches
 * it. An invalid object is refused: the cache keeps the version of that key
 * it had, if any, so nothing is derived from the invalid one and no host
 * write follows from it (a mirror stays as it was, and no mirror or
 * namespace appears for a new invalid object). Each invalid object version
 * is reported once, however often a relist or a resumed watch sends it.
 *
 * @module
 */

import { shown } from "../cannot.ts";
import { type KubeObject, safeObjectKey, serviceNameLabel } from "../kube/object.ts";
import type { ShapeProblem } from "./source_shape.ts";

/** An object a source sent that the Reflector does not read, as observers are told of it. */
export interface InvalidObject {
  /** The source's name. */
  source: string;
  /** Its resource, e.g. `services`. */
  resource: string;
  /** `namespace/name` as sent (values that are not strings shown as JSON). */
  object: string;
  /** Its resourceVersion, "" when it has none (or not a string). */
  resourceVersion: string;
  /** The key of the mirror it bears on (the source Service's own while that is not cached), when that can be told; the mirror gets an Event. */
  serviceKey: string | undefined;
  /** What is wrong, at most `maxProblems`. */
  problems: readonly ShapeProblem[];
}

/** Options of {@linkcode admission}. */
export interface AdmissionOptions {
  /** The source's name. */
  source: string;
  /** The resource checked, e.g. `services`. */
  resource: string;
  /** The shape check of that resource. */
  check: (object: unknown) => readonly ShapeProblem[];
  /** Whether the key of an object is the key of a Service (Services, Endpoints) or found through the slice's label. */
  keyed: "own" | "slice";
  /** Told of each invalid object version, once. */
  report: (invalid: InvalidObject) => void;
  /** Versions remembered as reported; past it the oldest are forgotten. Defaults to 10,000. */
  remembered?: number;
}

/** The informer `admit` option of one resource of one source. */
export function admission(options: AdmissionOptions): (object: KubeObject) => boolean {
  const { source, resource, check, report, keyed, remembered = 10_000 } = options;
  // Insertion-ordered, so the oldest entry is the first: memory is bounded
  // whatever a source sends, at the cost of a rare second report.
  const reported = new Set<string>();
  return (object) => {
    const problems = check(object);
    if (problems.length === 0) return true;
    const name = objectName(object);
    const resourceVersion = versionOf(object);
    const id = `${name}@${resourceVersion}`;
    if (reported.has(id)) return false;
    if (reported.size >= remembered) reported.delete(reported.values().next().value as string);
    reported.add(id);
    report({
      source,
      resource,
      object: name,
      resourceVersion,
      serviceKey: keyed === "own" ? safeObjectKey(object) : safeSliceKey(object),
      problems,
    });
    return false;
  };
}

function objectName(object: unknown): string {
  const metadata = (object as KubeObject | null)?.metadata as Record<string, unknown> | undefined;
  const part = (value: unknown) => typeof value === "string" ? value : shown(value);
  const isObject = typeof metadata === "object" && metadata !== null;
  const name = isObject
    ? `${part(metadata["namespace"])}/${part(metadata["name"])}`
    : "(no metadata)";
  return name.length > 200 ? `${name.slice(0, 200)}...` : name;
}

function versionOf(object: unknown): string {
  const metadata = (object as KubeObject | null)?.metadata as Record<string, unknown> | undefined;
  const version = typeof metadata === "object" && metadata !== null
    ? metadata["resourceVersion"]
    : undefined;
  return typeof version === "string" ? version : "";
}

function safeSliceKey(object: KubeObject): string | undefined {
  if (safeObjectKey(object) === undefined) return undefined;
  const labels: unknown = object.metadata?.labels;
  if (typeof labels !== "object" || labels === null) return undefined;
  const service = (labels as Record<string, unknown>)[serviceNameLabel];
  const namespace = object.metadata?.namespace;
  return typeof service === "string" && service !== "" && namespace
    ? `${namespace}/${service}`
    : undefined;
}
