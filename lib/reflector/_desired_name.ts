/**
 * Object names the Reflector derives from other names. A derived name is a
 * pure function of its parts: equal parts always give the same name, so a
 * recomputed desired state names the same objects and the applier updates
 * them in place instead of replacing them. Names are never random.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** The longest name a DNS-1123 subdomain (most object names) may have. */
export const maxNameLength = 253;

const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const hashLength = 10;

/**
 * Joins `parts` with `-` into a valid DNS-1123 subdomain name.
 *
 * The joined name is returned as is when it is valid. Otherwise (it is
 * longer than {@linkcode maxNameLength}, or a part holds characters such as
 * upper case or `_` that a label value allows and a name does not) the name
 * is lower-cased, every other character becomes `-`, it is cut to leave room
 * for a suffix, and the suffix is `-` plus the first 10 hex digits of the
 * SHA-256 of the joined name, so distinct inputs stay distinct.
 */
export function derivedName(parts: readonly (string | number)[]): string {
  const joined = parts.join("-");
  if (joined.length <= maxNameLength && subdomain.test(joined)) return joined;
  const hash = createHash("sha256").update(joined).digest("hex").slice(0, hashLength);
  const prefix = joined.toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, maxNameLength - hashLength - 1)
    .replace(/^-+|-+$/g, "");
  return prefix === "" ? hash : `${prefix}-${hash}`;
}

/**
 * The name a mirror's EndpointSlice asks for: `<service>.<source>.<slot>`.
 *
 * Distinct (service, source, slot) triples get distinct names: a Service
 * name holds no `.` and a slot (`ipv4-0-1`) holds none either, so the
 * first and the last `.` split a name back into its parts, whatever `-` or
 * `.` the source name holds. A source name that a DNS-1123 subdomain does
 * not allow (upper case, `_`), or a name over 253 characters, gets the
 * stable hash suffix of {@linkcode derivedName} instead, which keeps
 * distinct triples apart unless their SHA-256 prefixes collide (the
 * applier then writes the second under another name, as for any name
 * already taken).
 */
export function sliceName(service: string, source: string, slot: string): string {
  return derivedName([`${service}.${source}.${slot}`]);
}
