/**
 * The one wording of every error about a bad value, denoland/std's:
 * `Cannot <action> as <reason>: current value is <value>`. No trailing
 * period, no contractions; the value is shown so the reader can find it
 * (strings quoted, so an empty or blank one is visible).
 *
 * @example Usage
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { cannot } from "./cannot.ts";
 *
 * equal(
 *   cannot("serve", "'port' must be at most 65535", 70000),
 *   "Cannot serve as 'port' must be at most 65535: current value is 70000",
 * );
 * ```
 *
 * @module
 */

/** `value` as a message shows it: strings and structures as JSON, anything else as written. */
export function shown(value: unknown): string {
  if (typeof value === "string" || Array.isArray(value)) return JSON.stringify(value);
  if (value !== null && typeof value === "object") {
    try {
      return JSON.stringify(value);
    } catch {
      // A cyclic or otherwise unserializable value is named by its kind only.
      return "an object";
    }
  }
  return String(value);
}

/** The message `Cannot <action> as <reason>: current value is <shown(value)>`. */
export function cannot(action: string, reason: string, value: unknown): string {
  return `Cannot ${action} as ${reason}: current value is ${shown(value)}`;
}
