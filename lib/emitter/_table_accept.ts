/**
 * What a request's Accept header selects among the Emitter's
 * representations (plain JSON, or a `meta.k8s.io/v1` Table in JSON), decided
 * the way kube-apiserver negotiates: the header is parsed and
 * ordered as by `github.com/munnerz/goautoneg` (quality first, then concrete
 * types before wildcards, otherwise in header order), and the first clause
 * the Emitter can serve wins. The Emitter serves JSON only, as a plain
 * object or as a v1 Table, so clauses for other media types or other
 * conversions (v1beta1 Tables, PartialObjectMetadata) are skipped, as the
 * apiserver skips what it cannot serve.
 *
 * kubectl asks for a v1 Table first, then a v1beta1 Table, then plain JSON.
 *
 * kube-apiserver v1.37 picks a clause this way but then answers 406 when
 * that clause is `application/*` and no later clause is `application/json`
 * or `*\/*`; {@linkcode negotiate} refuses such requests as it does, and
 * {@linkcode isTableRequest} reports the representation chosen.
 *
 * @module
 */

interface Clause {
  type: string;
  subType: string;
  q: number;
  params: Record<string, string>;
}

/** What the Emitter can answer in: plain JSON, or a `meta.k8s.io/v1` Table in JSON. */
export type Representation = "json" | "table";

/** Options of {@linkcode negotiate}. */
export interface NegotiateOptions {
  /** Whether the endpoint renders Tables (get, list and watch of a resource). */
  tables: boolean;
}

/**
 * The representation kube-apiserver's negotiation would pick among those
 * the Emitter serves, or undefined where it answers 406 Not Acceptable: no
 * clause is servable (`text/html`, `application/yaml`, protobuf, an
 * unparsable header), or the chosen clause is `application/*` with no later
 * `application/json` or `*\/*` clause. No header at all means JSON.
 */
export function negotiate(
  accept: string | null,
  options: NegotiateOptions,
): Representation | undefined {
  if (!accept) return "json";
  const clauses = parseAccept(accept);
  const index = clauses.findIndex((clause) => servable(clause, options) !== undefined);
  const chosen = clauses[index];
  if (!chosen) return undefined;
  if (chosen.type === "application" && chosen.subType === "*") {
    const later = clauses.slice(index + 1).some((clause) =>
      (clause.type === "application" && clause.subType === "json") ||
      (clause.type === "*" && clause.subType === "*")
    );
    if (!later) return undefined;
  }
  return servable(chosen, options);
}

/**
 * True when the first servable clause of `accept` is
 * `application/json;as=Table;v=v1;g=meta.k8s.io` (or the same parameters on
 * `application/*` or `*\/*`); false for no header, or when plain JSON comes first.
 */
export function isTableRequest(accept: string | null): boolean {
  if (!accept) return false;
  for (const clause of parseAccept(accept)) {
    const representation = servable(clause, { tables: true });
    if (representation !== undefined) return representation === "table";
  }
  return false;
}

/** What `clause` asks for, if the Emitter serves it. */
function servable(clause: Clause, options: NegotiateOptions): Representation | undefined {
  const servesJson = (clause.type === "application" &&
    (clause.subType === "json" || clause.subType === "*")) ||
    (clause.type === "*" && clause.subType === "*");
  if (!servesJson) return undefined;
  const { as, g, v, stream } = clause.params;
  if (stream && stream !== "watch") return undefined;
  if (as === undefined && g === undefined && v === undefined) return "json";
  return options.tables && as === "Table" && g === "meta.k8s.io" && v === "v1"
    ? "table"
    : undefined;
}

/** Splits at the first `separator`, as goautoneg's `nextSplitElement`. */
function splitFirst(text: string, separator: string): [string, string] {
  const index = text.indexOf(separator);
  return index < 0 ? [text, ""] : [text.slice(0, index), text.slice(index + 1)];
}

/** Trims spaces only (not tabs), as goautoneg does. */
function trimSpaces(text: string): string {
  return text.replace(/^ +| +$/g, "");
}

/** Go's `strconv.ParseFloat` for the decimal forms a q-value takes; anything else is 0. */
function parseQuality(text: string): number {
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : 0;
}

function parseAccept(header: string): Clause[] {
  const clauses: Clause[] = [];
  let remaining = header;
  while (remaining.length > 0) {
    let part: string;
    [part, remaining] = splitFirst(remaining, ",");
    const [mediaRange, paramText] = splitFirst(trimSpaces(part), ";");
    const [typeText, rest] = splitFirst(mediaRange, "/");
    const type = trimSpaces(typeText);
    let subType: string;
    if (rest.length === 0) {
      if (type !== "*") continue;
      subType = "*";
    } else {
      const [subTypeText, extra] = splitFirst(rest, "/");
      if (extra.length > 0) continue;
      subType = trimSpaces(subTypeText);
    }
    const clause: Clause = { type, subType, q: 1, params: {} };
    let params = paramText;
    while (params.length > 0) {
      let param: string;
      [param, params] = splitFirst(params, ";");
      const [key, valueText] = splitFirst(param, "=");
      if (valueText.length === 0) continue;
      const [value, extra] = splitFirst(valueText, "=");
      if (extra.length > 0) continue;
      const token = trimSpaces(key);
      if (token === "q") clause.q = parseQuality(value);
      else clause.params[token] = trimSpaces(value);
    }
    clauses.push(clause);
  }
  // Go's sort.Sort is an insertion sort for up to 12 elements, so this
  // reproduces its order exactly, including for ties goautoneg's
  // comparison leaves unordered.
  for (let i = 1; i < clauses.length; i++) {
    for (let j = i; j > 0 && ranksBefore(clauses[j] as Clause, clauses[j - 1] as Clause); j--) {
      [clauses[j - 1], clauses[j]] = [clauses[j] as Clause, clauses[j - 1] as Clause];
    }
  }
  return clauses;
}

/** goautoneg's `Less`: higher quality first, then concrete types and subtypes before wildcards. */
function ranksBefore(a: Clause, b: Clause): boolean {
  if (a.q > b.q) return true;
  if (a.type !== "*" && b.type === "*") return true;
  return a.subType !== "*" && b.subType === "*";
}
