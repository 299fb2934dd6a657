/**
 * The sources file (`--reflector.sources-file`): YAML listing the
 * Reflector's sources, read here into checked entries without touching
 * anything else (no file it names is read, no request sent).
 *
 * ```yaml
 * sources:
 *   - name: east                      # required: a label value, unique
 *     url: https://emitter.east:6443  # an Emitter or API server, or:
 *     caFile: /etc/east/ca.crt        # url only: PEM CA bundle file,
 *     caData: LS0tLS1CRUdJTi...       #   and/or base64 PEM, as in a kubeconfig
 *     tokenFile: /etc/east/token      # url only: bearer token, re-read as it changes
 *     selector: tier=web              # default: --reflector.selector
 *     namespace: shop                 # default: --namespace, or all
 *   - name: north
 *     kubeconfig: /etc/north/config   # instead of url
 *     context: north                  # kubeconfig only; default: its current context
 * ```
 *
 * Every entry has `name` and exactly one of `url` and `kubeconfig`; a key
 * not listed above is an error (so that a misspelt key is never silently
 * ignored), and so is a second source of one name. An empty file, or
 * `sources: []`, lists no source.
 *
 * @module
 */

import { parseDocument } from "yaml";
import { parseServerUrl, ServerUrlError } from "../kube/config/client_config.ts";
import { parseLabelSelector, SelectorError } from "../kube/label_selector.ts";
import { shown } from "../cannot.ts";
import { isLabelValue } from "./_sources.ts";
import { isDnsLabel } from "./_values.ts";

/** One source of the file, as written, checked. */
export interface SourcesFileEntry {
  /** Unique source name, a label value. */
  name: string;
  /** Server URL; exactly one of `url` and `kubeconfig` is set. */
  url?: string;
  /** PEM CA bundle file for `url`. */
  caFile?: string;
  /** PEM CA bundle for `url`, decoded from the file's base64. */
  caData?: string;
  /** Bearer token file for `url`. */
  tokenFile?: string;
  /** Kubeconfig path. */
  kubeconfig?: string;
  /** Context of `kubeconfig`. */
  context?: string;
  /** Canonical label selector, when set. */
  selector?: string;
  /** Namespace, when set. */
  namespace?: string;
}

/** A sources file that cannot be used: `message` names the file, the field and the value. */
export class SourcesFileError extends Error {
  /** The file's path. */
  readonly path: string;

  /** The message is `Cannot use sources file <path>: <problem>`. */
  constructor(path: string, problem: string, options?: ErrorOptions) {
    super(`Cannot use sources file ${path}: ${problem}`, options);
    this.name = "SourcesFileError";
    this.path = path;
  }
}

const entryKeys = [
  "name",
  "url",
  "caFile",
  "caData",
  "tokenFile",
  "kubeconfig",
  "context",
  "selector",
  "namespace",
] as const;
const urlOnly = ["caFile", "caData", "tokenFile"] as const;

/**
 * The entries of the sources file `text`, read from `path` (for messages).
 * Throws a {@linkcode SourcesFileError} for text that is not YAML, or an
 * entry that does not check.
 */
export function parseSourcesFile(path: string, text: string): SourcesFileEntry[] {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const [first] = document.errors;
  if (first) throw new SourcesFileError(path, `it is not YAML: ${first.message}`);
  const root: unknown = document.toJS({ maxAliasCount: 100 });
  if (root === null || root === undefined) return [];
  if (!isRecord(root)) throw new SourcesFileError(path, "it must be a mapping with a sources list");
  const unknown = Object.keys(root).filter((key) => key !== "sources");
  if (unknown.length > 0) {
    throw new SourcesFileError(
      path,
      `unknown key ${shown(unknown[0] ?? "")}: only sources is read`,
    );
  }
  const { sources } = root;
  if (sources === null || sources === undefined) return [];
  if (!Array.isArray(sources)) throw new SourcesFileError(path, "sources must be a list");
  const entries = sources.map((item, index) => checkedEntry(path, `sources[${index}]`, item));
  const seen = new Map<string, string>();
  entries.forEach((entry, index) => {
    const other = seen.get(entry.name);
    if (other !== undefined) {
      throw new SourcesFileError(
        path,
        `sources[${index}].name ${shown(entry.name)} is already used by ${other}`,
      );
    }
    seen.set(entry.name, `sources[${index}]`);
  });
  return entries;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The entry `item` at `at` (e.g. `sources[2]`), checked. */
function checkedEntry(path: string, at: string, item: unknown): SourcesFileEntry {
  const fail = (problem: string): never => {
    throw new SourcesFileError(path, `${at}${problem}`);
  };
  if (!isRecord(item)) return fail(" must be a mapping with a name and a url or kubeconfig");
  for (const key of Object.keys(item)) {
    if (!(entryKeys as readonly string[]).includes(key)) {
      fail(`.${key} is not a source field: use ${entryKeys.join(", ")}`);
    }
  }
  const text = (key: typeof entryKeys[number]): string | undefined => {
    const value = item[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string" || value === "") {
      return fail(`.${key} must be a non-empty string: current value is ${shown(String(value))}`);
    }
    return value;
  };
  const name = text("name") ?? fail(".name is missing");
  if (!isLabelValue(name)) {
    fail(
      `.name must be a label value (at most 63 alphanumeric characters, "-", "_" or ".", starting and ending with an alphanumeric character): current value is ${
        shown(name)
      }`,
    );
  }
  const url = text("url");
  const kubeconfig = text("kubeconfig");
  if ((url === undefined) === (kubeconfig === undefined)) {
    fail(` (${shown(name)}) must have exactly one of url and kubeconfig`);
  }
  if (url !== undefined) checkUrl(url, fail);
  for (const key of urlOnly) if (kubeconfig && item[key] !== undefined) fail(`.${key} needs a url`);
  if (url && item["context"] !== undefined) fail(".context needs a kubeconfig");
  const caData = text("caData");
  const selector = text("selector");
  const namespace = text("namespace");
  if (namespace !== undefined && !isDnsLabel(namespace)) {
    fail(`.namespace must be a namespace name: current value is ${shown(namespace)}`);
  }
  const optional = {
    caFile: text("caFile"),
    tokenFile: text("tokenFile"),
    context: text("context"),
  };
  return {
    name,
    ...(url ? { url } : {}),
    ...(kubeconfig ? { kubeconfig } : {}),
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
    ...(caData ? { caData: decodedCa(caData, fail) } : {}),
    ...(selector !== undefined ? { selector: canonicalSelector(selector, fail) } : {}),
    ...(namespace ? { namespace } : {}),
  };
}

function checkUrl(url: string, fail: (problem: string) => never): void {
  try {
    parseServerUrl(url);
  } catch (error) {
    if (!(error instanceof ServerUrlError)) throw error;
    fail(`.url cannot be used as ${error.reason}: current value is ${shown(url)}`);
  }
}

function canonicalSelector(selector: string, fail: (problem: string) => never): string {
  try {
    return parseLabelSelector(selector).toString();
  } catch (error) {
    if (!(error instanceof SelectorError)) throw error;
    return fail(`.selector must be a label selector: ${error.problem}`);
  }
}

/** The PEM text of base64 `data`, which must hold a certificate. */
function decodedCa(data: string, fail: (problem: string) => never): string {
  let pem: string;
  try {
    pem = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(atob(data.replace(/\s+/g, "")), (char) => char.charCodeAt(0)),
    );
  } catch {
    return fail(".caData must be base64 of a PEM CA bundle: it does not decode");
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    fail(".caData must be base64 of a PEM CA bundle: it holds no BEGIN CERTIFICATE block");
  }
  return pem;
}
