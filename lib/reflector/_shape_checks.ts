/**
 * The checks `source_shape.ts` is built from: a collector of problems, each
 * with the path of the field and the value found, and the tests of the
 * values Kubernetes allows (DNS names, label keys and values, ports, IPs).
 *
 * Every check takes `unknown` and never throws, whatever it is given.
 *
 * @module
 */

import { isIP } from "node:net";
import { shown } from "../cannot.ts";

/** One field of a source object that is not what the Reflector reads. */
export interface ShapeProblem {
  /** Where, e.g. `spec.ports[0].port`. */
  readonly path: string;
  /** What was found there (`undefined` for a missing field). */
  readonly value: unknown;
  /** What is expected, e.g. `an integer from 1 to 65535`. */
  readonly expected: string;
}

/** Most problems kept for one object: enough to fix it, bounded whatever it holds. */
export const maxProblems = 20;

/** Collects the problems of one object. */
export class Problems {
  readonly #list: ShapeProblem[] = [];

  /** The problems found, at most {@linkcode maxProblems}. */
  get list(): readonly ShapeProblem[] {
    return this.#list;
  }

  /** Records that `value` at `path` is not `expected`. */
  add(path: string, value: unknown, expected: string): void {
    if (this.#list.length < maxProblems) this.#list.push({ path, value, expected });
  }

  /**
   * Checks an optional field: absent (or, with `nullable`, null) passes;
   * otherwise `test` must hold. Returns whether a value is there and passed.
   */
  optional(
    path: string,
    value: unknown,
    test: Test,
    options: { nullable?: boolean } = {},
  ): boolean {
    if (value === undefined || (options.nullable && value === null)) return false;
    return this.required(path, value, test);
  }

  /** Checks a required field against `test`; returns whether it passed. */
  required(path: string, value: unknown, test: Test): boolean {
    if (test.holds(value)) return true;
    this.add(path, value, test.expected);
    return false;
  }
}

/** A test of a value, and how its failure reads. */
export interface Test {
  /** Whether `value` passes. */
  holds(value: unknown): boolean;
  /** What passes, e.g. `a string`. */
  expected: string;
}

/** A test from a predicate and its wording. */
export function test(expected: string, holds: (value: unknown) => boolean): Test {
  return { expected, holds };
}

/** Whether `value` is a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const label1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const label1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const qualifiedName = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

const text = (pattern: RegExp, max: number) => (value: unknown) =>
  typeof value === "string" && value.length <= max && pattern.test(value);

/** The tests the shapes use. */
export const tests = {
  record: test("an object", isRecord),
  string: test("a string", (value) => typeof value === "string"),
  boolean: test("a boolean", (value) => typeof value === "boolean"),
  array: test("an array", Array.isArray),
  dnsLabel: test("a DNS-1123 label", text(label1123, 63)),
  dns1035Label: test("a DNS-1035 label", text(label1035, 63)),
  subdomain: test("a DNS-1123 subdomain", text(subdomain, 253)),
  labelValue: test("a label value", text(labelValue, 63)),
  qualifiedName: test("a label or annotation key", isQualifiedName),
  port: test("an integer from 1 to 65535", (value) =>
    Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535),
  portName: test("empty or a DNS-1123 label", (value) =>
    value === "" || text(label1123, 63)(value)),
  protocol: oneOf("TCP", "UDP", "SCTP"),
} as const;

/** A test passing exactly `values`. */
export function oneOf(...values: string[]): Test {
  return test(`one of ${values.join(", ")}`, (value) => values.includes(value as string));
}

/** A test passing an IP address of `family` (any family when omitted), without a zone. */
export function ip(family?: "IPv4" | "IPv6"): Test {
  const version = family === "IPv4" ? 4 : family === "IPv6" ? 6 : undefined;
  return test(family ? `an ${family} address` : "an IP address", (value) => {
    if (typeof value !== "string" || value.includes("%")) return false;
    const found = isIP(value);
    return version === undefined ? found !== 0 : found === version;
  });
}

/** Whether `value` is a label key: an optional DNS subdomain prefix and `/`, then a name. */
function isQualifiedName(value: unknown): boolean {
  if (typeof value !== "string") return false;
  const parts = value.split("/");
  if (parts.length > 2) return false;
  const name = parts.pop() as string;
  const [prefix] = parts;
  if (prefix !== undefined && !text(subdomain, 253)(prefix)) return false;
  return name.length <= 63 && qualifiedName.test(name);
}

/** Problems as one line: `<path> is <value>, expected <what>; ...`. */
export function describeProblems(problems: readonly ShapeProblem[]): string {
  return problems.map(({ path, value, expected }) => {
    const found = value === undefined ? "missing" : `is ${preview(value)}`;
    return `${path} ${found}, expected ${expected}`;
  }).join("; ");
}

function preview(value: unknown): string {
  const text = shown(value);
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}
