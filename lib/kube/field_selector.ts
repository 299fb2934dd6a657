/**
 * Kubernetes field selectors, parsed and matched as kube-apiserver does
 * (`fields.ParseSelector` of apimachinery, then the per-kind check of
 * supported fields), so that the Emitter accepts exactly the `fieldSelector`
 * queries a real apiserver accepts and selects the same objects.
 *
 * Properties:
 * - A selector is an AND of `field=value` and `field!=value` terms (`==` is
 *   read as `=`); the empty selector matches everything.
 * - In values, `\`, `,` and `=` are escaped with a backslash; any other
 *   escape, or an unescaped `=`, is refused. Nothing is trimmed: spaces are
 *   part of the field or value.
 * - A field missing from an object reads as the empty string.
 *
 * @module
 */

import { SelectorError } from "./label_selector.ts";

/** One term of a field selector. */
export interface FieldRequirement {
  /** Field path, e.g. `metadata.name`. */
  readonly field: string;
  /** `=` (also written `==`) or `!=`. */
  readonly operator: "=" | "!=";
  /** The value, unescaped. */
  readonly value: string;
}

/** A parsed field selector whose fields are all supported. */
export interface FieldSelector {
  /** The terms, in the order of their text (as apimachinery sorts them). */
  readonly requirements: readonly FieldRequirement[];
  /** Whether every term holds for `fields` (see {@linkcode objectFields}). */
  matches(fields: Record<string, string>): boolean;
  /** Whether the selector has no term and so matches everything. */
  isEverything(): boolean;
  /** The canonical text, values escaped, e.g. `metadata.name=a\,b`; empty for everything. */
  toString(): string;
}

/** Options of {@linkcode parseFieldSelector}. */
export interface FieldSelectorOptions {
  /** The fields that may be selected on, e.g. `["metadata.name", "metadata.namespace"]`. */
  supported: readonly string[];
}

/** `value` with `\`, `,` and `=` escaped by a backslash, as apimachinery's `EscapeValue`. */
function escapeValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}

class Selector implements FieldSelector {
  readonly requirements: readonly FieldRequirement[];

  constructor(requirements: FieldRequirement[]) {
    this.requirements = Object.freeze(requirements);
  }

  matches(fields: Record<string, string>): boolean {
    return this.requirements.every(({ field, operator, value }) => {
      const actual = Object.hasOwn(fields, field) ? fields[field] : "";
      return (actual === value) === (operator === "=");
    });
  }

  isEverything(): boolean {
    return this.requirements.length === 0;
  }

  toString(): string {
    return this.requirements
      .map(({ field, operator, value }) => `${field}${operator}${escapeValue(value)}`)
      .join(",");
  }
}

/** `text` split at commas not escaped by a backslash. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === ",") {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}

/**
 * Parses the string form of a field selector, e.g.
 * `metadata.namespace=demo,metadata.name!=web`, exactly as kube-apiserver
 * parses its `fieldSelector` parameter: empty terms are skipped, the first
 * `!=`, `==` or `=` of a term splits field from value, and a field outside
 * `options.supported` is refused. The empty string matches everything.
 *
 * Throws a {@linkcode SelectorError} naming the selector and the term or
 * escape that is wrong; for a field that is not supported the message holds
 * kube-apiserver's words `field label not supported: <field>`.
 *
 * @example Select one Service by name
 * ```ts
 * import { objectFields, parseFieldSelector } from "./field_selector.ts";
 *
 * const supported = ["metadata.name", "metadata.namespace"];
 * const selector = parseFieldSelector("metadata.name==web", { supported });
 * selector.matches(objectFields({ metadata: { name: "web", namespace: "demo" } })); // true
 * selector.toString(); // "metadata.name=web"
 * ```
 */
export function parseFieldSelector(text: string, options: FieldSelectorOptions): FieldSelector {
  const fail = (problem: string): never => {
    throw new SelectorError(`Cannot parse field selector "${text}": ${problem}`, text, problem);
  };
  const requirements: FieldRequirement[] = [];
  // apimachinery sorts the raw terms (by UTF-8 bytes; here by UTF-16 code units).
  for (const term of text === "" ? [] : splitTerms(text).sort()) {
    if (term === "") continue;
    const split = /!=|==|=/.exec(term);
    if (!split) return fail(`term "${term}" must be field=value, field==value or field!=value`);
    const field = term.slice(0, split.index);
    const raw = term.slice(split.index + split[0].length);
    let value = "";
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i] as string;
      if (c === "=" || c === ",") fail(`"${c}" in the value of term "${term}" must be escaped`);
      if (c !== "\\") value += c;
      else if (i + 1 < raw.length && "\\,=".includes(raw[i + 1] as string)) value += raw[++i];
      else fail(`term "${term}" has an invalid escape sequence "${raw.slice(i, i + 2)}"`);
    }
    requirements.push({ field, operator: split[0] === "!=" ? "!=" : "=", value });
  }
  for (const { field } of requirements) {
    if (!options.supported.includes(field)) fail(`field label not supported: ${field}`);
  }
  // As in apimachinery's Transform, a term with empty field and value selects everything.
  const terms = requirements.filter(({ field, value }) => field !== "" || value !== "");
  return new Selector(terms.map((requirement) => Object.freeze(requirement)));
}

/**
 * The selectable fields of an object as kube-apiserver's generic registry
 * sets them for namespaced kinds: `metadata.name` and `metadata.namespace`,
 * empty when missing.
 */
export function objectFields(
  object: { metadata?: { name?: string; namespace?: string } },
): Record<string, string> {
  return {
    "metadata.name": object.metadata?.name ?? "",
    "metadata.namespace": object.metadata?.namespace ?? "",
  };
}
