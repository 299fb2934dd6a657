/**
 * Reads the values of one command line by the flags' long names, for the
 * checks that turn them into a `Config`. Commander holds every default, so a
 * flag it has no value for reads as empty.
 *
 * No value of any flag may begin with `=`: none of them can (no path,
 * URL, selector, duration or name is meant to), and `--flag==value` is the
 * typo it would come from, so it is an error naming the flag rather than a
 * path or name beginning with `=`.
 *
 * @module
 */

import { FlagValueError } from "./_values.ts";

/** Checks and converts one flag's value; throws a `FlagValueError` naming `flag`. */
export type ParseValue<T> = (flag: string, value: string) => T;

/** The values of one command line, read by long flag name (`--listen`). */
export class FlagReader {
  readonly #values: ReadonlyMap<string, string | readonly string[]>;

  /** Reads `values`, keyed by long flag name; a repeatable flag has every value, in order. */
  constructor(values: ReadonlyMap<string, string | readonly string[]>) {
    this.#values = values;
  }

  /**
   * The flag's value, a repeatable flag's values joined with `,`, or `""` without any.
   *
   * @throws {FlagValueError} For a value that begins with `=`.
   */
  text(flag: string): string {
    return this.list(flag).join(",");
  }

  /**
   * Every value of the flag, in order; `[]` without any.
   *
   * @throws {FlagValueError} For a value that begins with `=`.
   */
  list(flag: string): string[] {
    const values = [this.#values.get(flag) ?? []].flat();
    const typo = values.find((value) => value.startsWith("="));
    if (typo !== undefined) {
      throw new FlagValueError(
        flag,
        typo,
        `must not begin with "=" (${flag}==VALUE has one "=" too many): write ${flag}=VALUE`,
      );
    }
    return values;
  }

  /** The flag's {@linkcode FlagReader.text} as `parse` checks and converts it. */
  check<T>(flag: string, parse: ParseValue<T>): T {
    return parse(flag, this.text(flag));
  }

  /**
   * `{ [key]: value }` with the value as `parse` converts it (default: the
   * text), or `{}` for an empty value, so that an empty flag leaves an
   * optional field out.
   */
  optional<K extends string>(key: K, flag: string): { [P in K]?: string };
  optional<K extends string, T>(key: K, flag: string, parse: ParseValue<T>): { [P in K]?: T };
  optional<K extends string, T>(
    key: K,
    flag: string,
    parse?: ParseValue<T>,
  ): { [P in K]?: T | string } {
    const text = this.text(flag);
    if (text === "") return {};
    return { [key]: parse ? parse(flag, text) : text } as { [P in K]?: T | string };
  }
}
