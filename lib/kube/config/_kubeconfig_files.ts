/**
 * Finds, parses and merges kubeconfig files with kubectl's rules:
 *
 * - an explicit path is the only file and must exist;
 * - else `KUBECONFIG` is a colon-separated list in which missing files are
 *   skipped (but at least one must exist), empty items are ignored and
 *   repeats count once;
 * - else `$HOME/.kube/config`, which must exist.
 *
 * Clusters, users and contexts are merged by name, and the first file that
 * defines a name wins the whole entry (entries are never merged field by
 * field); `current-context` comes from the first file that sets it. Every
 * entry remembers its file, because relative paths inside it resolve against
 * that file's directory and errors name it. Every failure is a
 * {@linkcode KubeconfigError}.
 *
 * @module
 */

import { cannot } from "../../cannot.ts";
import { isAbsolute, resolve } from "node:path";
import { parse } from "yaml";
import { KubeconfigError } from "./kubeconfig_error.ts";

/** One named cluster, user or context, with the file that defined it. */
export interface Entry {
  /** What the entry is, for messages. */
  kind: "cluster" | "user" | "context";
  /** Its name in the kubeconfig. */
  name: string;
  /** Absolute path of the file that defined it. */
  file: string;
  /** The entry's body (`cluster:`, `user:` or `context:`). */
  fields: Record<string, unknown>;
}

/** The merged view of every kubeconfig file that was read. */
export interface MergedKubeconfig {
  /** Absolute paths of the files read, in precedence order. */
  files: string[];
  /** Clusters by name. */
  clusters: Map<string, Entry>;
  /** Users by name. */
  users: Map<string, Entry>;
  /** Contexts by name. */
  contexts: Map<string, Entry>;
  /** `current-context` of the first file that sets one. */
  currentContext: { name: string; file: string } | undefined;
}

/** The prefix of every kubeconfig error: `Cannot load kubeconfig "<file>": `. */
export function errorPrefix(file: string): string {
  return `Cannot load kubeconfig "${file}": `;
}

/** Reads and merges the kubeconfig files chosen by `path`, or else the environment. */
export async function readKubeconfigs(
  path: string | undefined,
  env: (name: string) => string | undefined,
): Promise<MergedKubeconfig> {
  const merged: MergedKubeconfig = {
    files: [],
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
    currentContext: undefined,
  };
  for (const file of await chooseFiles(path, env)) {
    mergeFile(merged, file.path, file.text);
  }
  return merged;
}

async function chooseFiles(
  path: string | undefined,
  env: (name: string) => string | undefined,
): Promise<{ path: string; text: string }[]> {
  if (path !== undefined) {
    const file = absolute(path);
    return [{ path: file, text: await readRequired(file) }];
  }
  const list = env("KUBECONFIG");
  if (list) {
    const paths = [...new Set(list.split(":").filter((item) => item !== "").map(absolute))];
    const found: { path: string; text: string }[] = [];
    let missing: Deno.errors.NotFound | undefined;
    for (const file of paths) {
      const text = await readOptional(file);
      if (typeof text === "string") found.push({ path: file, text });
      else missing ??= text;
    }
    if (found.length === 0) {
      throw new KubeconfigError(
        "not-found",
        cannot("load kubeconfig", "none of the files in KUBECONFIG exist", list),
        { cause: missing },
      );
    }
    return found;
  }
  const home = env("HOME");
  if (!home) {
    throw new KubeconfigError(
      "not-found",
      "Cannot load kubeconfig as neither KUBECONFIG nor HOME is set: pass a kubeconfig path",
    );
  }
  const file = resolve(home, ".kube", "config");
  return [{ path: file, text: await readRequired(file) }];
}

function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(Deno.cwd(), path);
}

async function readRequired(file: string): Promise<string> {
  const text = await readOptional(file);
  if (typeof text !== "string") {
    throw new KubeconfigError("not-found", `${errorPrefix(file)}file not found`, {
      file,
      cause: text,
    });
  }
  return text;
}

/** The file's text, or the NotFound error if it does not exist; other read errors throw. */
async function readOptional(file: string): Promise<string | Deno.errors.NotFound> {
  try {
    return await Deno.readTextFile(file);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return cause;
    throw new KubeconfigError(
      "unreadable",
      `${errorPrefix(file)}file is not readable: ${messageOf(cause)}`,
      { file, cause },
    );
  }
}

function mergeFile(merged: MergedKubeconfig, file: string, text: string): void {
  let document: unknown;
  try {
    document = parse(text);
  } catch (cause) {
    // The parser's message spans lines (it quotes the source); its first line locates the fault.
    const firstLine = messageOf(cause).split("\n")[0]?.replace(/:$/, "");
    throw new KubeconfigError("invalid-yaml", `${errorPrefix(file)}invalid YAML: ${firstLine}`, {
      file,
      cause,
    });
  }
  merged.files.push(file);
  // An empty file is an empty config, as for kubectl.
  if (document === null || document === undefined) return;
  if (!isMapping(document)) {
    throw invalid(file, `the document must be a mapping: current value is ${typeName(document)}`);
  }
  mergeList(merged.clusters, file, document, "clusters", "cluster");
  mergeList(merged.users, file, document, "users", "user");
  mergeList(merged.contexts, file, document, "contexts", "context");
  const current = document["current-context"];
  if (current !== undefined && current !== null && current !== "") {
    if (typeof current !== "string") {
      throw invalid(
        file,
        `field 'current-context' must be a string: current value is ${typeName(current)}`,
      );
    }
    merged.currentContext ??= { name: current, file };
  }
}

function mergeList(
  into: Map<string, Entry>,
  file: string,
  document: Record<string, unknown>,
  listField: "clusters" | "users" | "contexts",
  kind: Entry["kind"],
): void {
  const list = document[listField];
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) {
    throw invalid(file, `field '${listField}' must be a list: current value is ${typeName(list)}`);
  }
  const seen = new Set<string>();
  for (const [index, item] of list.entries()) {
    const where = `${listField}[${index}]`;
    if (!isMapping(item)) {
      throw invalid(file, `${where} must be a mapping: current value is ${typeName(item)}`);
    }
    const name = item["name"];
    if (typeof name !== "string" || name === "") {
      throw invalid(
        file,
        `${where} field 'name' must be a non-empty string: current value is ${typeName(name)}`,
      );
    }
    // Within one file a repeated name is a mistake kubectl resolves silently; refuse it.
    if (seen.has(name)) {
      throw new KubeconfigError(
        "duplicate-entry",
        `${errorPrefix(file)}${kind} "${name}" is defined more than once`,
        { file },
      );
    }
    seen.add(name);
    const body = item[kind] ?? {};
    if (!isMapping(body)) {
      throw invalid(
        file,
        `${kind} "${name}" field '${kind}' must be a mapping: current value is ${typeName(body)}`,
      );
    }
    if (!into.has(name)) into.set(name, { kind, name, file, fields: body });
  }
}

/** The `invalid-field` error for a document part of the wrong shape in `file`. */
function invalid(file: string, problem: string): KubeconfigError {
  return new KubeconfigError("invalid-field", `${errorPrefix(file)}${problem}`, { file });
}

/** Whether `value` is a YAML mapping (a plain object). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A short description of a value of the wrong type, for messages. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return `a ${typeof value}`;
}

/** The message of an unknown thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
