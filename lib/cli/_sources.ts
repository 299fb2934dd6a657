/**
 * The Reflector's sources from `--reflector.source-api` and
 * `--reflector.source-kubeconfig`, each with a unique name.
 *
 * A source's name is a label value on every mirror made from it, so it must
 * be stable across restarts and unique among the sources:
 * - `NAME=URL` names a URL source and `NAME=PATH` a kubeconfig source
 *   `NAME` (two different sources may not claim one name); a `NAME=` prefix
 *   holds no `/` or `:`, so a URL or path alone is never read as one;
 * - otherwise a URL source is named after its host name, lower-cased, with
 *   `.` and `:` replaced by `-` (`http://emitter.b.svc:8080` is
 *   `emitter-b-svc`), and a kubeconfig source after its file's base name
 *   without extension (`/etc/clusters/b.yaml` is `b`);
 * - derived names are cut to 63 characters and keep only characters a label
 *   value allows; a derived name that is already taken (by an explicit name
 *   or an earlier source, URL sources first) gets the first free suffix of
 *   `-2`, `-3`, ...; explicit names never change.
 *
 * A kubeconfig source is read through its current context, or through the
 * one named after its path's last `#` (`east=/etc/clusters.yaml#east`; a
 * path that holds `#` itself needs a `#CONTEXT` after it).
 *
 * Empty values and empty comma-separated items add no source (the original
 * manifest passes `--reflector.source-api=$(SOURCE_API)`, empty until sources
 * are configured), and a source listed twice counts once.
 *
 * Each URL is made its client config here, once, and that config is what
 * reaches the Reflector: nothing parses the URL again. Uniqueness is checked
 * in one place, over the final names.
 *
 * @module
 */

import { basename, extname } from "node:path";
import { type ClientConfig, configFromUrl, ServerUrlError } from "../kube/config/client_config.ts";
import { shown } from "../cannot.ts";
import { FlagValueError } from "./_values.ts";

/** A source reached by URL alone (an Emitter or an anonymous API server). */
export interface UrlSource {
  /** Unique source name, a label value. */
  name: string;
  /** Absolute http(s) URL, as given. */
  url: string;
  /** How to reach it, made from `url` once; nothing parses `url` again. */
  config: ClientConfig;
}

/** A source reached through a kubeconfig file. */
export interface KubeconfigSource {
  /** Unique source name, a label value. */
  name: string;
  /** Path of the kubeconfig file, as given; not read here (start-up loads it). */
  kubeconfig: string;
  /** The context to read it through; omitted for its current context. */
  context?: string;
}

/** One source of the Reflector. */
export type SourceFlag = UrlSource | KubeconfigSource;

const apiFlag = "--reflector.source-api";
const kubeconfigFlag = "--reflector.source-kubeconfig";
const labelValue = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Whether `text` is a non-empty label value. */
export function isLabelValue(text: string): boolean {
  return text.length <= 63 && labelValue.test(text);
}

/** A source as parsed, before its name is final, with the flag and value it came from. */
interface Candidate {
  /** The source; its name is set by {@linkcode nameDerived} unless `derived` is undefined. */
  source: SourceFlag;
  /** The flag it was given with. */
  flag: string;
  /** The value (or list item) as given, for messages. */
  given: string;
  /** The name to derive from; undefined for an explicit `NAME=`. */
  derived?: string;
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

/**
 * `VALUE` or `NAME=VALUE` (`what` names VALUE in messages, e.g. `PATH`): a
 * `NAME=` prefix holds no `/` or `:`, so that neither a URL (`http://a=b`)
 * nor a path (`/etc/a=b`) reads as one. `name` is undefined without one.
 */
function named(flag: string, given: string, what: string): { name?: string; value: string } {
  const equals = given.indexOf("=");
  const prefix = given.slice(0, Math.max(equals, 0));
  if (prefix === "" || /[/:]/.test(prefix)) return { value: given };
  const value = given.slice(equals + 1);
  if (!isLabelValue(prefix)) {
    throw new FlagValueError(
      flag,
      given,
      `must be ${what} or NAME=${what} with NAME a label value: at most 63 alphanumeric characters, "-", "_" or ".", starting and ending with an alphanumeric character`,
    );
  }
  if (value === "") {
    throw new FlagValueError(flag, given, `must be ${what} or NAME=${what} with a ${what}`);
  }
  return { name: prefix, value };
}

/**
 * The URL sources, in the order given, each once: by its normalized URL
 * when derived names are left to derive, by name and URL when named.
 */
function urlCandidates(apis: readonly string[]): Candidate[] {
  const seen = new Map<string, Candidate>();
  for (const item of apis.flatMap((value) => value.split(","))) {
    const given = item.trim();
    if (given === "") continue;
    const { name, value } = named(apiFlag, given, "URL");
    let config: ClientConfig;
    try {
      config = configFromUrl(value);
    } catch (error) {
      if (!(error instanceof ServerUrlError)) throw error;
      throw new FlagValueError(apiFlag, given, error.reason, { cause: error });
    }
    const href = config.server.href;
    const id = `${name ?? ""} ${href}`;
    if (seen.has(id)) continue;
    const source = { name: name ?? "", url: value, config };
    seen.set(
      id,
      name === undefined
        ? { source, flag: apiFlag, given, derived: urlBase(config.server) }
        : { source, flag: apiFlag, given },
    );
  }
  return [...seen.values()];
}

/** `PATH`, `NAME=PATH`, either with `#CONTEXT` after the path. */
function kubeconfigCandidate(given: string): Candidate {
  const { name, value } = named(kubeconfigFlag, given, "PATH");
  const hash = value.lastIndexOf("#");
  const path = hash < 0 ? value : value.slice(0, hash);
  const context = hash < 0 ? "" : value.slice(hash + 1);
  if (hash >= 0 && (path === "" || context === "")) {
    throw new FlagValueError(
      kubeconfigFlag,
      given,
      "must be PATH#CONTEXT with a PATH and a CONTEXT after the last #",
    );
  }
  const source = { name: name ?? "", kubeconfig: path, ...(context ? { context } : {}) };
  return name === undefined
    ? { source, flag: kubeconfigFlag, given, derived: labelFrom(basename(path, extname(path))) }
    : { source, flag: kubeconfigFlag, given };
}

/**
 * Names every derived source: explicit names first, then every derived name
 * that is still free, in order, and only then suffixes, so that a source
 * keeps its plain name whenever it can.
 */
function nameDerived(candidates: readonly Candidate[]): void {
  const taken = new Set<string>();
  for (const { source, derived } of candidates) if (derived === undefined) taken.add(source.name);
  const pending: Candidate[] = [];
  for (const candidate of candidates) {
    const { derived } = candidate;
    if (derived === undefined) continue;
    if (taken.has(derived)) {
      pending.push(candidate);
    } else {
      candidate.source.name = derived;
      taken.add(derived);
    }
  }
  for (const { source, derived } of pending) source.name = unique(derived ?? "", taken);
}

/**
 * The one check that source names are unique, over every final name: only
 * two explicit `NAME=` can clash, since derived names avoid every taken one.
 */
function checkUnique(candidates: readonly Candidate[]): void {
  const byName = new Map<string, Candidate>();
  for (const candidate of candidates) {
    const { name } = candidate.source;
    const other = byName.get(name);
    if (other !== undefined) {
      throw new FlagValueError(
        candidate.flag,
        candidate.given,
        `source name ${shown(name)} is already used by ${shown(other.given)}`,
      );
    }
    byName.set(name, candidate);
  }
}

/**
 * The sources named by every `--reflector.source-api` value (each a
 * comma-separated list of URLs) and every `--reflector.source-kubeconfig`
 * value, URL sources first, each in the order given, with unique names.
 * Throws a {@linkcode FlagValueError} for a malformed URL or kubeconfig
 * value, or for a `NAME=` another `NAME=` already took.
 */
export function parseSources(
  apis: readonly string[],
  kubeconfigs: readonly string[],
): SourceFlag[] {
  const candidates = [
    ...urlCandidates(apis),
    ...[...new Set(kubeconfigs)].filter((value) => value !== "").map(kubeconfigCandidate),
  ];
  nameDerived(candidates);
  checkUnique(candidates);
  return candidates.map((candidate) => candidate.source);
}
