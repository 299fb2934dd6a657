/**
 * Kubernetes label selectors, parsed and matched as kube-apiserver does
 * (`labels.Parse` and `metav1.LabelSelectorAsSelector` of apimachinery), so
 * that the Emitter accepts exactly the `labelSelector` queries a real
 * apiserver accepts and selects the same objects.
 *
 * Properties:
 * - A selector is an AND of requirements, sorted by key (stable), each with
 *   its values sorted and without duplicates; `toString()` is canonical and
 *   parses back to the same requirements.
 * - The empty selector matches everything; there is no "match nothing" one.
 * - Besides the documented operators, `k>n` and `k<n` (integers) are
 *   accepted, as the apiserver accepts them.
 *
 * @module
 */

import type { LabelSelector as LabelSelectorObject } from "kubernetes-types/meta/v1.d.ts";
import { shown } from "../cannot.ts";

/** A selector could not be parsed; the message names the selector and what is wrong. */
export class SelectorError extends Error {
  /** The selector as given: its text, or the JSON of a selector object. */
  readonly selector: string;
  /** What is wrong with it, without the selector, e.g. `expected a key at position 0`. */
  readonly problem: string;

  /** `message` is complete; `selector` is the offending selector and `problem` its fault. */
  constructor(message: string, selector: string, problem: string) {
    super(message);
    this.name = "SelectorError";
    this.selector = selector;
    this.problem = problem;
  }
}

/** The operators of apimachinery's `selection` package, spelled as there. */
export type LabelOperator = "in" | "notin" | "=" | "==" | "!=" | "exists" | "!" | "gt" | "lt";

/** One requirement on one label; a selector is the AND of its requirements. */
export interface LabelRequirement {
  /** Label key, e.g. `app.kubernetes.io/name`. */
  readonly key: string;
  /** How the label relates to {@linkcode LabelRequirement.values}; `!` means "does not exist". */
  readonly operator: LabelOperator;
  /** Sorted and unique; empty for `exists` and `!`, one value for `=`, `==`, `!=`, `gt`, `lt`. */
  readonly values: readonly string[];
}

/** A parsed, valid label selector. */
export interface LabelSelector {
  /** The requirements, sorted by key. */
  readonly requirements: readonly LabelRequirement[];
  /** Whether every requirement holds for `labels` (undefined means no labels). */
  matches(labels: Record<string, string> | undefined): boolean;
  /** Whether the selector has no requirement and so matches everything. */
  isEverything(): boolean;
  /** The canonical text, e.g. `app in (a,b),!legacy`; empty for everything. */
  toString(): string;
}

const labelName = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const nameRule =
  `alphanumeric characters, "-", "_" or ".", starting and ending with an alphanumeric character`;

/** Why `key` is not a label key (`[dns-subdomain/]name`), or undefined if it is one. */
function keyProblem(key: string): string | undefined {
  const parts = key.split("/");
  if (parts.length > 2) return `must be a name with an optional DNS subdomain prefix and "/"`;
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (prefix !== undefined && (prefix.length > 253 || !dnsSubdomain.test(prefix))) {
    return "must have a prefix that is a lowercase DNS subdomain of at most 253 characters";
  }
  if (!name) return "must have a non-empty name";
  if (name.length > 63) return "must have a name of at most 63 characters";
  return labelName.test(name) ? undefined : `must have a name of ${nameRule}`;
}

/** Why `value` is not a label value, or undefined if it is one. */
function valueProblem(value: string): string | undefined {
  if (value.length > 63) return "must be at most 63 characters";
  return labelValue.test(value) ? undefined : `must be empty or consist of ${nameRule}`;
}

const int64 = /^[+-]?[0-9]+$/;

/** `text` as Go's `strconv.ParseInt(text, 10, 64)` reads it, or undefined if it fails. */
function parseInt64(text: string): bigint | undefined {
  if (!int64.test(text)) return undefined;
  const value = BigInt(text);
  return value >= -(2n ** 63n) && value < 2n ** 63n ? value : undefined;
}

function requirementMatches(
  { key, operator, values }: LabelRequirement,
  labels: Record<string, string>,
): boolean {
  const value = Object.hasOwn(labels, key) ? labels[key] : undefined;
  if (operator === "gt" || operator === "lt") {
    const actual = parseInt64(value ?? "");
    const bound = parseInt64(values[0] ?? "");
    if (actual === undefined || bound === undefined) return false;
    return operator === "gt" ? actual > bound : actual < bound;
  }
  if (operator === "exists" || operator === "!") {
    return (value !== undefined) === (operator === "exists");
  }
  const hit = value !== undefined && values.includes(value);
  return operator === "notin" || operator === "!=" ? !hit : hit;
}

function requirementString({ key, operator, values }: LabelRequirement): string {
  if (operator === "exists" || operator === "!") return operator === "!" ? `!${key}` : key;
  const text = values.join(",");
  if (operator === "in" || operator === "notin") return `${key} ${operator} (${text})`;
  return `${key}${operator === "gt" ? ">" : operator === "lt" ? "<" : operator}${text}`;
}

const byKey = (a: LabelRequirement, b: LabelRequirement) => a.key < b.key ? -1 : +(a.key > b.key);

class Selector implements LabelSelector {
  readonly requirements: readonly LabelRequirement[];

  constructor(requirements: LabelRequirement[]) {
    // Array.prototype.sort is stable: requirements on one key keep their order.
    this.requirements = Object.freeze(requirements.sort(byKey));
  }

  matches(labels: Record<string, string> | undefined): boolean {
    return this.requirements.every((requirement) => requirementMatches(requirement, labels ?? {}));
  }

  isEverything(): boolean {
    return this.requirements.length === 0;
  }

  toString(): string {
    return this.requirements.map(requirementString).join(",");
  }
}

function requirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  return Object.freeze({ key, operator, values: Object.freeze([...new Set(values)].sort()) });
}

type TokenKind = "end" | "word" | "(" | ")" | "," | "!" | "=" | "==" | "!=" | ">" | "<";
interface Token {
  kind: TokenKind;
  text: string;
  /** 1-based position of the token's first character; length + 1 for the end. */
  position: number;
}

/**
 * Whitespace, then a token: `==`, `!=`, one of `=!(),><`, or a word up to
 * the next of those, whitespace or NUL. As in apimachinery's lexer, a NUL
 * right after a token is dropped, and a NUL where a token would start ends
 * the selector.
 */
const tokenPattern = /([ \t\r\n]*)(?:(==|!=|[=!(),><]|[^=!(),>< \t\r\n\0]+)\0?)?/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const pattern = new RegExp(tokenPattern);
  for (;;) {
    const start = pattern.lastIndex;
    const [, space = "", word] = pattern.exec(text) ?? [];
    const position = start + space.length + 1;
    if (word === undefined) return [...tokens, { kind: "end", text: "", position }];
    const kind = /^[=!(),><]/.test(word) ? word as TokenKind : "word";
    tokens.push({ kind, text: word, position });
  }
}

/**
 * Parses the string form of a label selector, e.g. `app=web,tier in (a,b),!legacy`,
 * exactly as kube-apiserver parses its `labelSelector` parameter. The empty
 * (or blank) string matches everything.
 *
 * Throws a {@linkcode SelectorError} naming the selector, the position and
 * what was expected, or the key or value that is not valid.
 *
 * @example Select by set and existence
 * ```ts
 * import { parseLabelSelector } from "./label_selector.ts";
 *
 * const selector = parseLabelSelector("tier in (web, api), !legacy");
 * selector.matches({ tier: "web" }); // true
 * selector.toString(); // "!legacy,tier in (api,web)"
 * ```
 */
export function parseLabelSelector(text: string): LabelSelector {
  return new Parser(text).selector();
}

/**
 * A recursive-descent parser over the tokens of one selector text, one
 * method per rule of apimachinery's grammar. Every method that fails
 * throws the {@linkcode SelectorError} of the whole text.
 */
class Parser {
  readonly #text: string;
  readonly #tokens: Token[];
  readonly #end: Token;
  #index = 0;

  constructor(text: string) {
    this.#text = text;
    this.#tokens = tokenize(text);
    this.#end = { kind: "end", text: "", position: text.length + 1 };
  }

  /** `requirement ("," requirement)*`, or nothing at all. */
  selector(): LabelSelector {
    const requirements: LabelRequirement[] = [];
    // After a "," the end is refused like any other token that is not a key.
    while (this.#peek().kind !== "end" || requirements.length > 0) {
      const token = this.#peek();
      if (token.kind !== "word" && token.kind !== "!") this.#expected(`"!" or a key`, token);
      requirements.push(this.#requirement());
      const after = this.#next();
      if (after.kind === "end") break;
      if (after.kind !== ",") this.#expected(`"," or the end`, after);
    }
    return new Selector(requirements);
  }

  /** `"!" key`, `key`, `key op value` or `key ("in" | "notin") set`. */
  #requirement(): LabelRequirement {
    let token = this.#next();
    const negated = token.kind === "!";
    if (negated) token = this.#next();
    if (token.kind !== "word") this.#expected("a key", token);
    const key = token.text;
    this.#check(keyProblem(key), "key", token, key);
    if (negated) return requirement(key, "!", []);
    const ahead = this.#peek().kind;
    if (ahead === "end" || ahead === ",") return requirement(key, "exists", []);
    const operator = this.#operator();
    const values = operator === "in" || operator === "notin" ? this.#set() : this.#single();
    const integer = operator === "gt" || operator === "lt";
    for (const [value, at] of values) {
      const problem = integer && parseInt64(value) === undefined ? "must be an integer" : undefined;
      this.#check(problem ?? valueProblem(value), "value", at, value);
    }
    return requirement(key, operator, values.map(([value]) => value));
  }

  /** The operator after a key. "in" and "notin" are operators only here: "in in (in)" is valid. */
  #operator(): LabelOperator {
    const token = this.#next();
    const spelling = token.kind === "word" ? token.text : token.kind;
    const operator = Object.hasOwn(tokenOperators, spelling) ? tokenOperators[spelling] : undefined;
    return operator ?? this.#expected(`"=", "==", "!=", "in", "notin", ">" or "<"`, token);
  }

  /** The one value after `=`, `==`, `!=`, `>` or `<`; nothing stands for the empty value. */
  #single(): [string, Token][] {
    const single = this.#peek();
    if (single.kind === "end" || single.kind === ",") return [["", single]];
    if (this.#next().kind !== "word") this.#expected("a value", single);
    return [[single.text, single]];
  }

  /** `"(" value? ("," value?)* ")"`, each value with the token it was read at. */
  #set(): [string, Token][] {
    const open = this.#next();
    if (open.kind !== "(") this.#expected(`"("`, open);
    const first = this.#peek();
    if (first.kind !== "word" && first.kind !== "," && first.kind !== ")") {
      this.#expected(`a value, "," or ")"`, first);
    }
    // Empty items stand for the empty value: "()", "(,a)", "(a,,b)" and "(a,)" all hold "".
    const values: [string, Token][] = first.kind === ")" ? [["", first]] : [];
    while (this.#peek().kind !== ")") {
      const token = this.#next();
      const ahead = this.#peek();
      if (token.kind === "word") {
        values.push([token.text, token]);
        if (ahead.kind !== ")" && ahead.kind !== ",") this.#expected(`")" or ","`, ahead);
      } else if (token.kind === ",") {
        if (values.length === 0 || ahead.kind === ")" || ahead.kind === ",") {
          values.push(["", ahead]);
        }
      } else {
        this.#expected(`a value or ","`, token);
      }
    }
    this.#next();
    return values;
  }

  #peek(): Token {
    return this.#tokens[this.#index] ?? this.#end;
  }

  #next(): Token {
    return this.#tokens[this.#index++] ?? this.#end;
  }

  #fail(problem: string): never {
    throw new SelectorError(
      `Cannot parse label selector "${this.#text}": ${problem}`,
      this.#text,
      problem,
    );
  }

  #expected(what: string, { kind, text, position }: Token): never {
    return this.#fail(
      `expected ${what} at position ${position}${kind === "end" ? "" : `, found "${text}"`}`,
    );
  }

  #check(problem: string | undefined, what: string, token: Token, value: string): void {
    if (problem) {
      this.#fail(
        `${what} at position ${token.position} ${problem}: current value is ${shown(value)}`,
      );
    }
  }
}

const tokenOperators: Record<string, LabelOperator> = {
  in: "in",
  notin: "notin",
  "=": "=",
  "==": "==",
  "!=": "!=",
  ">": "gt",
  "<": "lt",
};

const objectOperators: Record<string, LabelOperator> = {
  In: "in",
  NotIn: "notin",
  Exists: "exists",
  DoesNotExist: "!",
};

/**
 * Converts a `metav1.LabelSelector` (as in a Deployment's `spec.selector`)
 * as apimachinery's `LabelSelectorAsSelector` does: `matchLabels` become `=`
 * requirements, `matchExpressions` use In, NotIn, Exists or DoesNotExist, and
 * an empty selector matches everything.
 *
 * Throws a {@linkcode SelectorError} naming the selector (as JSON), the field
 * and its value when a key, value, operator or value list is not valid.
 */
export function labelSelectorFromObject(selector: LabelSelectorObject): LabelSelector {
  const subject = JSON.stringify(selector);
  const fail = (where: string, problem: string, value?: unknown): never => {
    const current = value === undefined ? "" : `: current value is ${shown(value)}`;
    const fault = `${where} ${problem}${current}`;
    throw new SelectorError(`Cannot parse label selector ${subject}: ${fault}`, subject, fault);
  };
  const check = (problem: string | undefined, where: string, value: string) => {
    if (problem) fail(where, problem, value);
  };
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    check(keyProblem(key), "matchLabels key", key);
    check(valueProblem(value), `matchLabels["${key}"]`, value);
    requirements.push(requirement(key, "=", [value]));
  }
  const expressions = selector.matchExpressions ?? [];
  for (const [i, { key, operator: name, values = [] }] of expressions.entries()) {
    const where = `matchExpressions[${i}]`;
    const operator = Object.hasOwn(objectOperators, name) ? objectOperators[name] : undefined;
    if (operator === undefined) {
      return fail(`${where}.operator`, `must be "In", "NotIn", "Exists" or "DoesNotExist"`, name);
    }
    check(keyProblem(key), `${where}.key`, key);
    const set = operator === "in" || operator === "notin";
    if (set && values.length === 0) {
      fail(`${where}.values`, `must not be empty for operator "${name}"`);
    }
    if (!set && values.length > 0) {
      fail(`${where}.values`, `must be empty for operator "${name}"`, values);
    }
    values.forEach((value, j) => check(valueProblem(value), `${where}.values[${j}]`, value));
    requirements.push(requirement(key, operator, values));
  }
  return new Selector(requirements);
}
