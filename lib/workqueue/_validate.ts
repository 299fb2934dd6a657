/**
 * Checks for option values, with denoland/std's message style:
 * "Cannot <action> as '<name>' must be <expectation>: current value is <value>".
 * A value of the wrong type throws `TypeError`; a number out of range throws
 * `RangeError`.
 *
 * @module
 */

import { cannot } from "../cannot.ts";

/** Throws unless `value` is a finite number greater than zero. */
export function assertPositiveNumber(action: string, name: string, value: unknown): void {
  assertNumber(action, name, value, "a positive number");
  if (!(Number.isFinite(value) && (value as number) > 0)) {
    throw new RangeError(message(action, name, "a positive number", value));
  }
}

/** Throws unless `value` is an integer greater than zero. */
export function assertPositiveInteger(action: string, name: string, value: unknown): void {
  assertNumber(action, name, value, "a positive integer");
  if (!(Number.isSafeInteger(value) && (value as number) > 0)) {
    throw new RangeError(message(action, name, "a positive integer", value));
  }
}

/** Throws unless `value` is a finite number. */
export function assertFiniteNumber(action: string, name: string, value: unknown): void {
  assertNumber(action, name, value, "a finite number");
  if (!Number.isFinite(value)) {
    throw new RangeError(message(action, name, "a finite number", value));
  }
}

function assertNumber(action: string, name: string, value: unknown, expected: string): void {
  if (typeof value !== "number") throw new TypeError(message(action, name, expected, value));
}

/** Builds the message shared by every check here. */
export function message(action: string, name: string, expected: string, value: unknown): string {
  return cannot(action, `'${name}' must be ${expected}`, value);
}
