/**
 * Reads the values of one command line by the flags' long names, for the
 * checks that turn them into a `Config`. Commander holds every default, so a
 * flag it has no value for reads as empty.
 *
 * @module
 */

/** Checks and converts one flag's value; throws a `FlagValueError` naming `flag`. */
export type ParseValue<T> = (flag: string, value: string) => T;

/** The values of one command line, read by long flag name (`--listen`). */
export class FlagReader {
  readonly #values: ReadonlyMap<string, string | readonly string[]>;

  /** Reads `values`, keyed by long flag name; a repeatable flag has every value, in order. */
  constructor(values: ReadonlyMap<string, string | readonly string[]>) {
    this.#values = values;
  }

  /** The flag's value, a repeatable flag's values joined with `,`, or `""` without any. */
  text(flag: string): string {
    const value = this.#values.get(flag) ?? "";
    return typeof value === "string" ? value : value.join(",");
  }

  /** Every value of the flag, in order; `[]` without any. */
  list(flag: string): string[] {
    return [this.#values.get(flag) ?? []].flat();
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
