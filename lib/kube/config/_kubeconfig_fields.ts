/**
 * Typed access to the fields of one kubeconfig entry. Every reader fails
 * with a message of one shape, naming the file, the entry, the field and
 * the value: `Cannot load kubeconfig "<file>": user "admin" field
 * 'client-key' must name a readable file: current value is "/missing.key"`,
 * in a {@linkcode KubeconfigError} whose `file` is the entry's file.
 *
 * As for kubectl, an empty string or null counts as unset. Secret values
 * (tokens, key data) are never echoed in messages, only their length.
 *
 * @module
 */

import { dirname, isAbsolute, resolve } from "node:path";
import { type Entry, errorPrefix, isMapping, messageOf, typeName } from "./_kubeconfig_files.ts";
import { decodeBase64 } from "./_kubeconfig_tls.ts";
import { KubeconfigError, type KubeconfigReason } from "./kubeconfig_error.ts";

/** Options of {@linkcode fieldError}. */
export interface FieldErrorOptions {
  /** Why the value is refused, or the valid choices; shown after the value in parentheses. */
  detail?: string | undefined;
  /** The error that revealed the fault. */
  cause?: unknown;
  /** The error's reason (default: `invalid-field`, a value of the wrong type or content). */
  reason?: KubeconfigReason;
}

/** Builds the error for a field whose value is wrong, naming the file, entry, field and value. */
export function fieldError(
  entry: Entry,
  field: string,
  expectation: string,
  value: unknown,
  options: FieldErrorOptions = {},
): KubeconfigError {
  const shown = !SECRET_FIELDS.has(field)
    ? showValue(value)
    : typeof value === "string"
    ? `not shown (a secret of ${value.length} characters)`
    : `not shown (a secret of type ${typeof value})`;
  const detail = options.detail === undefined ? "" : ` (${options.detail})`;
  const subject = `${entry.kind} "${entry.name}" field '${field}'`;
  return new KubeconfigError(
    options.reason ?? "invalid-field",
    `${errorPrefix(entry.file)}${subject} ${expectation}: current value is ${shown}${detail}`,
    { file: entry.file, cause: options.cause },
  );
}

// Values that must never reach a log line.
const SECRET_FIELDS = new Set(["token", "password", "client-key-data"]);

// Data fields can hold kilobytes of base64; a prefix identifies the value well enough.
const SHOWN_LIMIT = 60;

function showValue(value: unknown): string {
  if (typeof value !== "string") return typeName(value);
  const quoted = JSON.stringify(value);
  return quoted.length <= SHOWN_LIMIT ? quoted : `${quoted.slice(0, SHOWN_LIMIT)}..." (truncated)`;
}

/** Whether the field is set: present, not null and not an empty string. */
export function isSet(entry: Entry, field: string): boolean {
  const value = entry.fields[field];
  return value !== undefined && value !== null && value !== "";
}

/** The field as a string, or `undefined` when unset. */
export function optionalString(entry: Entry, field: string): string | undefined {
  if (!isSet(entry, field)) return undefined;
  const value = entry.fields[field];
  if (typeof value !== "string") throw fieldError(entry, field, "must be a string", value);
  return value;
}

/** The field as a boolean, or `undefined` when unset. */
export function optionalBoolean(entry: Entry, field: string): boolean | undefined {
  if (!isSet(entry, field)) return undefined;
  const value = entry.fields[field];
  if (typeof value !== "boolean") throw fieldError(entry, field, "must be true or false", value);
  return value;
}

/** A path from the entry, resolved against the directory of the file that defined it. */
export function entryPath(entry: Entry, path: string): string {
  return isAbsolute(path) ? path : resolve(dirname(entry.file), path);
}

/** PEM text read from a file field or a base64 data field. */
export interface PemSource {
  /** The PEM text. */
  pem: string;
  /** The field it came from. */
  field: string;
  /** The resolved path for a file field, or the data itself. */
  value: string;
}

/**
 * Reads the PEM named by `fileField` (a path) or held by `dataField`
 * (base64), or returns `undefined` when neither is set. With both set, the
 * data wins when `dataWins` (kubectl's rule for the CA) and is an error
 * otherwise (kubectl's rule for client certificates and keys).
 */
export async function readPem(
  entry: Entry,
  fields: { file: string; data: string; dataWins: boolean },
): Promise<PemSource | undefined> {
  const path = optionalString(entry, fields.file);
  const data = optionalString(entry, fields.data);
  if (data !== undefined && path !== undefined && !fields.dataWins) {
    throw entryError(
      entry,
      "conflicting-fields",
      `sets both '${fields.file}' and '${fields.data}': keep only one`,
    );
  }
  if (data !== undefined) {
    const pem = decodeBase64(data);
    if (pem === undefined) {
      throw fieldError(entry, fields.data, "must be base64-encoded PEM", data);
    }
    return { pem, field: fields.data, value: data };
  }
  if (path === undefined) return undefined;
  const file = entryPath(entry, path);
  return { pem: await readEntryFile(entry, fields.file, file), field: fields.file, value: file };
}

/** Reads a file named by a field; failures name the field and the resolved path. */
export async function readEntryFile(entry: Entry, field: string, file: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch (cause) {
    // A missing file says so by its NotFound cause; other failures (permissions, a
    // directory) add their reason.
    throw fieldError(entry, field, "must name a readable file", file, {
      reason: "named-file-unreadable",
      cause,
      detail: cause instanceof Deno.errors.NotFound ? undefined : messageOf(cause),
    });
  }
}

/**
 * The error for the entry as a whole, e.g. a combination of its fields:
 * `Cannot load kubeconfig "<file>": user "admin" <problem>`.
 */
export function entryError(
  entry: Entry,
  reason: KubeconfigReason,
  problem: string,
): KubeconfigError {
  return new KubeconfigError(
    reason,
    `${errorPrefix(entry.file)}${entry.kind} "${entry.name}" ${problem}`,
    { file: entry.file },
  );
}

/** The field as a list of strings, or `[]` when unset. */
export function stringList(entry: Entry, field: string): string[] {
  if (!isSet(entry, field)) return [];
  const value = entry.fields[field];
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw fieldError(entry, field, "must be a list of strings", value);
  }
  return value;
}

/** The field as a mapping, or `undefined` when unset. */
export function optionalMapping(entry: Entry, field: string): Record<string, unknown> | undefined {
  if (!isSet(entry, field)) return undefined;
  const value = entry.fields[field];
  if (!isMapping(value)) throw fieldError(entry, field, "must be a mapping", value);
  return value;
}
