/**
 * Checks and converts one flag value at a time. Every check either returns
 * the converted value or throws a {@linkcode FlagValueError} naming the flag,
 * the value and what was expected, which the parser turns into its one-line
 * error.
 *
 * @module
 */

import { isIP } from "node:net";
import parseDurationText from "parse-duration";
import { type StaleAction, staleActions } from "../reflector/stale_action.ts";
import { parseLabelSelector, SelectorError } from "../kube/label_selector.ts";
import { checkNameTemplate, NameTemplateError } from "../reflector/mirror_names.ts";
import { type ReflectorApi, reflectorApis } from "../reflector/reflector_api.ts";

/** The command line is wrong; the message says how, in one line. */
export class UsageError extends Error {
  /** `message` is complete and names the flags concerned. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** A flag has a value it cannot take. */
export class FlagValueError extends UsageError {
  /** The flag, spelled as on the command line, e.g. `--listen`. */
  readonly flag: string;
  /** The offending value (or list item) as given. */
  readonly value: string;

  /** The message is `invalid value "<value>" for <flag>: <problem>`. */
  constructor(flag: string, value: string, problem: string, options?: ErrorOptions) {
    super(`invalid value ${JSON.stringify(value)} for ${flag}: ${problem}`, options);
    this.name = "FlagValueError";
    this.flag = flag;
    this.value = value;
  }
}

// The spellings Go's strconv.ParseBool accepts, which pflag uses for bool flags.
const truths = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const falsities = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** A boolean flag's value, read as Go's `strconv.ParseBool` reads it. */
export function parseBool(flag: string, value: string): boolean {
  if (truths.has(value)) return true;
  if (falsities.has(value)) return false;
  throw new FlagValueError(flag, value, "must be true or false");
}

/** A TCP port from 0 to 65535, in decimal. */
export function parsePort(flag: string, value: string): number {
  const port = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!(port <= 65535)) throw new FlagValueError(flag, value, "must be a port from 0 to 65535");
  return port;
}

/** A positive decimal integer no larger than `max`. */
export function parsePositiveInteger(flag: string, value: string, max: number): number {
  const number = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!(number >= 1 && number <= max)) {
    throw new FlagValueError(flag, value, `must be an integer from 1 to ${max}`);
  }
  return number;
}

const byteUnits: Record<string, number> = { "": 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/**
 * A size in bytes from 1 to `max`: a decimal integer, optionally with a
 * binary suffix as Kubernetes quantities take it (`Ki`, `Mi`, `Gi`).
 */
export function parseByteSize(flag: string, value: string, max: number): number {
  const match = /^([0-9]+)(Ki|Mi|Gi)?$/.exec(value);
  const bytes = match ? Number(match[1]) * (byteUnits[match[2] ?? ""] as number) : NaN;
  if (!(bytes >= 1 && bytes <= max)) {
    throw new FlagValueError(
      flag,
      value,
      `must be a size from 1 byte to ${max / 1024 ** 3}Gi, in bytes or with Ki, Mi or Gi`,
    );
  }
  return bytes;
}

/** An IPv4 or IPv6 address, without brackets. */
export function parseIp(flag: string, value: string): string {
  if (isIP(value) === 0) throw new FlagValueError(flag, value, "must be an IPv4 or IPv6 address");
  return value;
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i;

/** Whether `text` is an RFC 1123 label, as Namespace names must be. */
export function isDnsLabel(text: string): boolean {
  return text.length <= 63 && dnsLabel.test(text);
}

/** `value`, a DNS label naming `what` (e.g. `a namespace name`). */
function dnsLabelOf(what: string, flag: string, value: string): string {
  if (!isDnsLabel(value)) {
    throw new FlagValueError(
      flag,
      value,
      `must be ${what}: at most 63 lowercase alphanumeric characters or "-", starting and ending with an alphanumeric character`,
    );
  }
  return value;
}

/** A Namespace name. */
export function parseNamespace(flag: string, value: string): string {
  return dnsLabelOf("a namespace name", flag, value);
}

/** Where a server listens: `hostname` is an IP or a host name, never empty. */
export interface ListenAddress {
  /** IP address (IPv6 without brackets) or host name; `0.0.0.0` for `:port`. */
  hostname: string;
  /** TCP port; 0 picks a free one. */
  port: number;
}

/**
 * A listen address as Go's `net.Listen` takes it: `host:port`, `[ipv6]:port`
 * or `:port`. An empty host means every IPv4 interface (`0.0.0.0`); pass
 * `[::]:port` to listen on IPv6 too.
 */
export function parseListen(flag: string, value: string): ListenAddress {
  const match = /^(?:\[([^\]]*)\]|([^:[\]]*)):([0-9]+)$/.exec(value);
  const [, bracketed, plain, portText] = match ?? [];
  const port = portText === undefined ? NaN : Number(portText);
  const hostname = bracketed ?? plain ?? "";
  const hostOk = bracketed !== undefined
    ? isIP(bracketed) === 6
    : hostname === "" || isIP(hostname) === 4 ||
      (hostname.length <= 253 && dnsName.test(hostname));
  if (!hostOk || !(port <= 65535)) {
    throw new FlagValueError(
      flag,
      value,
      "must be host:port, [ipv6]:port or :port with a port from 0 to 65535",
    );
  }
  return { hostname: hostname === "" ? "0.0.0.0" : hostname, port };
}

/** The canonical text of a label selector; empty selects everything. */
export function parseSelector(flag: string, value: string): string {
  try {
    return parseLabelSelector(value).toString();
  } catch (error) {
    if (!(error instanceof SelectorError)) throw error;
    throw new FlagValueError(flag, value, `must be a label selector: ${error.problem}`, {
      cause: error,
    });
  }
}

/** Log levels, from most to least verbose. */
export const logLevels = ["all", "debug", "info", "warn", "error", "none"] as const;

/** How much is logged: every level from the named one up (`all` and `none` as named). */
export type LogLevel = typeof logLevels[number];

/** One of {@linkcode logLevels}. */
export function parseLogLevel(flag: string, value: string): LogLevel {
  const level = logLevels.find((level) => level === value);
  if (level === undefined) {
    throw new FlagValueError(flag, value, `must be one of ${logLevels.join(", ")}`);
  }
  return level;
}

/** A mirror name template (`lib/reflector/mirror_names.ts`). */
export function parseNameTemplate(flag: string, value: string): string {
  try {
    return checkNameTemplate(value);
  } catch (error) {
    if (!(error instanceof NameTemplateError)) throw error;
    throw new FlagValueError(flag, value, `must be a name template: ${error.reason}`, {
      cause: error,
    });
  }
}

/** A cluster id of the Multi-Cluster Services API: a DNS label, as KEP-2149 asks. */
export function parseClusterId(flag: string, value: string): string {
  return dnsLabelOf("a cluster id", flag, value);
}

/** One of {@linkcode reflectorApis}. */
export function parseReflectorApi(flag: string, value: string): ReflectorApi {
  const api = reflectorApis.find((each) => each === value);
  if (api === undefined) {
    throw new FlagValueError(flag, value, `must be one of ${reflectorApis.join(", ")}`);
  }
  return api;
}

/** One of {@linkcode staleActions}. */
export function parseStaleAction(flag: string, value: string): StaleAction {
  const action = staleActions.find((each) => each === value);
  if (action === undefined) {
    throw new FlagValueError(flag, value, `must be one of ${staleActions.join(", ")}`);
  }
  return action;
}

// Go's time.ParseDuration grammar for the units these flags need: one or
// more decimal numbers, each with a unit, and no sign.
const goDuration = /^([0-9]+(\.[0-9]+)?(h|m|s|ms))+$/;

/** A positive duration in Go's syntax (`15s`, `1m30s`, `500ms`), in milliseconds. */
export function parseDuration(flag: string, value: string): number {
  const ms = goDuration.test(value) ? parseDurationText(value) : null;
  if (ms === null || ms === undefined || !(ms > 0)) {
    throw new FlagValueError(
      flag,
      value,
      "must be a positive duration such as 15s, 1m30s or 500ms",
    );
  }
  return ms;
}

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** An object name that must be a DNS subdomain (Leases, for instance). */
export function parseObjectName(flag: string, value: string): string {
  if (value.length > 253 || !dnsSubdomain.test(value)) {
    throw new FlagValueError(
      flag,
      value,
      `must be an object name: lowercase alphanumeric characters, "-" or ".", starting and ending with an alphanumeric character`,
    );
  }
  return value;
}
