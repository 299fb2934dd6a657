/**
 * The Reflector's sources from `--reflector.source-api` and
 * `--reflector.source-kubeconfig`, each with a unique name.
 *
 * A source's name is a label value on every mirror made from it, so it must
 * be stable across restarts and unique among the sources:
 * - `NAME=PATH` names a kubeconfig source `NAME` (two different sources may
 *   not claim one name);
 * - otherwise a URL source is named after its host name, lower-cased, with
 *   `.` and `:` replaced by `-` (`http://emitter.b.svc:8080` is
 *   `emitter-b-svc`), and a kubeconfig source after its file's base name
 *   without extension (`/etc/clusters/b.yaml` is `b`);
 * - derived names are cut to 63 characters and keep only characters a label
 *   value allows; a derived name that is already taken (by an explicit name
 *   or an earlier source, URL sources first) gets the first free suffix of
 *   `-2`, `-3`, ...; explicit names never change.
 *
 * Empty values and empty comma-separated items add no source (the original
 * manifest passes `--reflector.source-api=$(SOURCE_API)`, empty until sources
 * are configured), and a source listed twice counts once.
 *
 * @module
 */

import { basename, extname } from "node:path";
import { configFromUrl } from "../kube/config/client_config.ts";
import { FlagValueError } from "./_values.ts";

/** A source reached by URL alone (an Emitter or an anonymous API server). */
export interface UrlSource {
  /** Unique source name, a label value. */
  name: string;
  /** Absolute http(s) URL, as given. */
  url: string;
}

/** A source reached through a kubeconfig file (its current context). */
export interface KubeconfigSource {
  /** Unique source name, a label value. */
  name: string;
  /** Path of the kubeconfig file, as given; not read here. */
  kubeconfig: string;
}

/** One source of the Reflector. */
export type SourceFlag = UrlSource | KubeconfigSource;

const apiFlag = "--reflector.source-api";
const kubeconfigFlag = "--reflector.source-kubeconfig";
const labelValue = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const urlReason = /^Cannot use source URL as (.*): current value is /s;

/** Whether `text` is a non-empty label value. */
export function isLabelValue(text: string): boolean {
  return text.length <= 63 && labelValue.test(text);
}

/** The longest label value made of `text`'s allowed characters, or `source`. */
function labelFrom(text: string): string {
  const cleaned = text.replace(/[^-A-Za-z0-9_.]/g, "-").replace(/^[^A-Za-z0-9]+/, "");
  return cleaned.slice(0, 63).replace(/[^A-Za-z0-9]+$/, "") || "source";
}

/** `base`, or `base-N` (cut to fit 63 characters) for the smallest N >= 2 not in `taken`. */
function unique(base: string, taken: Set<string>): string {
  let name = base;
  for (let n = 2; taken.has(name); n++) {
    const suffix = `-${n}`;
    name = base.slice(0, 63 - suffix.length).replace(/[^A-Za-z0-9]+$/, "") + suffix;
  }
  taken.add(name);
  return name;
}

function urlBase(url: URL): string {
  return labelFrom(url.hostname.replace(/^\[|\]$/g, "").replace(/[.:]/g, "-").toLowerCase());
}

function checkUrl(item: string): URL {
  try {
    return configFromUrl(item).server;
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const reason = urlReason.exec(error.message)?.[1] ?? error.message;
    throw new FlagValueError(apiFlag, item, reason, { cause: error });
  }
}

/** `PATH` or `NAME=PATH`: a `NAME=` prefix has no `/` before its `=`. */
function splitKubeconfig(value: string): { name?: string; path: string } {
  const equals = value.indexOf("=");
  const prefix = value.slice(0, Math.max(equals, 0));
  if (prefix === "" || prefix.includes("/")) return { path: value };
  const path = value.slice(equals + 1);
  if (!isLabelValue(prefix)) {
    throw new FlagValueError(
      kubeconfigFlag,
      value,
      `must be PATH or NAME=PATH with NAME a label value: at most 63 alphanumeric characters, "-", "_" or ".", starting and ending with an alphanumeric character`,
    );
  }
  if (path === "") {
    throw new FlagValueError(kubeconfigFlag, value, "must be PATH or NAME=PATH with a PATH");
  }
  return { name: prefix, path };
}

/**
 * The sources named by every `--reflector.source-api` value (each a
 * comma-separated list of URLs) and every `--reflector.source-kubeconfig`
 * value, URL sources first, each in the order given. Throws a
 * {@linkcode FlagValueError} for a malformed URL or kubeconfig value.
 */
export function parseSources(
  apis: readonly string[],
  kubeconfigs: readonly string[],
): SourceFlag[] {
  const urls = new Map<string, string>();
  for (const item of apis.flatMap((value) => value.split(","))) {
    const trimmed = item.trim();
    if (trimmed === "") continue;
    const href = checkUrl(trimmed).href;
    if (!urls.has(href)) urls.set(href, trimmed);
  }
  const explicit = new Map<string, string>();
  const files: { name?: string; path: string }[] = [];
  for (const value of new Set(kubeconfigs)) {
    if (value === "") continue;
    const file = splitKubeconfig(value);
    if (file.name !== undefined) {
      const other = explicit.get(file.name);
      if (other !== undefined) {
        throw new FlagValueError(
          kubeconfigFlag,
          value,
          `source name ${JSON.stringify(file.name)} is already used by ${JSON.stringify(other)}`,
        );
      }
      explicit.set(file.name, value);
    }
    files.push(file);
  }
  // Explicit names first, then every derived name that is still free, and
  // only then suffixes: a source keeps its plain name whenever it can.
  const taken = new Set(explicit.keys());
  const pending: { base: string; source: SourceFlag }[] = [];
  const claim = (base: string, source: SourceFlag) => {
    if (taken.has(base)) {
      pending.push({ base, source });
    } else {
      source.name = base;
      taken.add(base);
    }
    return source;
  };
  const sources: SourceFlag[] = [];
  for (const [href, url] of urls) sources.push(claim(urlBase(new URL(href)), { name: "", url }));
  for (const { name, path } of files) {
    const source = { name: name ?? "", kubeconfig: path };
    sources.push(
      name !== undefined ? source : claim(labelFrom(basename(path, extname(path))), source),
    );
  }
  for (const { base, source } of pending) source.name = unique(base, taken);
  return sources;
}
