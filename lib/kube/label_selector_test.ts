import { deepStrictEqual, equal, ok } from "node:assert/strict";
import fc from "fast-check";
import { withClusters } from "../../tests/cluster/mod.ts";
import { sendJson } from "../../tests/support/api_json.ts";
import { assertSelectsAsApiserver, throwsSelectorError } from "../../tests/support/selectors.ts";
import {
  type LabelOperator,
  labelSelectorFromObject,
  parseLabelSelector,
} from "./label_selector.ts";

Deno.test("parseLabelSelector() reads every operator and prints the canonical form", () => {
  const cases: [string, string][] = [
    ["app=web", "app=web"],
    ["app == web", "app==web"],
    ["app!=web", "app!=web"],
    [" tier in ( web , db ) ", "tier in (db,web)"],
    ["tier notin(db,db)", "tier notin (db)"],
    ["app, !tier", "app,!tier"],
    ["! tier", "!tier"],
    ["rank>7,rank<10", "rank>7,rank<10"],
    ["x.io/team=core,app", "app,x.io/team=core"],
    ["in in (in, notin),notin", "in in (in,notin),notin"],
    ["app=", "app="],
    ["tier in ()", "tier in ()"],
    ["tier in (,web)", "tier in (,web)"],
    ["tier in (a,,b)", "tier in (,a,b)"],
    ["tier in (web,)", "tier in (,web)"],
    ["\tapp\r\n=\nweb", "app=web"],
    // As in Go, a NUL ends the selector where a token would start and is dropped where it ends one.
    ["app \0 !!!", "app"],
    ["app\0=web", "app=web"],
  ];
  for (const [text, canonical] of cases) {
    equal(parseLabelSelector(text).toString(), canonical, text);
  }
  deepStrictEqual(parseLabelSelector("b notin (y,x),!a").requirements, [
    { key: "a", operator: "!", values: [] },
    { key: "b", operator: "notin", values: ["x", "y"] },
  ]);
});

Deno.test("parseLabelSelector() treats an empty or blank selector as everything", () => {
  for (const text of ["", "  ", "\t\n"]) {
    const selector = parseLabelSelector(text);
    ok(selector.isEverything());
    ok(selector.matches(undefined));
    equal(selector.toString(), "");
  }
  ok(!parseLabelSelector("app").isEverything());
});

Deno.test("matches() follows apimachinery for each operator", () => {
  const cases: [string, Record<string, string> | undefined, boolean][] = [
    ["app=web", { app: "web" }, true],
    ["app=web", { app: "db" }, false],
    ["app=web", undefined, false],
    ["app!=web", {}, true],
    ["app!=web", { app: "web" }, false],
    ["app in (web,db)", { app: "db" }, true],
    ["app notin (web,db)", { app: "db" }, false],
    ["app notin (web,db)", {}, true],
    ["app in ()", { app: "" }, true],
    ["app in ()", {}, false],
    ["app", { app: "" }, true],
    ["!app", { app: "" }, false],
    ["app,!tier", { app: "x", tier: "y" }, false],
    ["rank>7", { rank: "10" }, true],
    ["rank>7", { rank: "7" }, false],
    ["rank<7", { rank: "-3" }, true],
    ["rank>7", { rank: "x" }, false],
    ["rank>7", { rank: "99999999999999999999" }, false],
    ["rank<9223372036854775807", { rank: "9223372036854775806" }, true],
    ["constructor", {}, false],
    ["!toString", {}, true],
  ];
  for (const [text, labels, expected] of cases) {
    equal(
      parseLabelSelector(text).matches(labels),
      expected,
      `${text} on ${JSON.stringify(labels)}`,
    );
  }
});

Deno.test("parseLabelSelector() names the position of a syntax error", () => {
  const cases: [string, string][] = [
    ["app in (a", `expected ")" or "," at position 10`],
    ["app in (a b)", `expected ")" or "," at position 11, found "b"`],
    ["app in a", `expected "(" at position 8, found "a"`],
    ["app in (a,(", `expected a value or "," at position 11, found "("`],
    ["=web", `expected "!" or a key at position 1, found "="`],
    [",app", `expected "!" or a key at position 1, found ","`],
    ["app,", `expected "!" or a key at position 5`],
    ["app=web=x", `expected "," or the end at position 8, found "="`],
    ["!app=web", `expected "," or the end at position 5, found "="`],
    ["!!app", `expected a key at position 2, found "!"`],
    ["app=(web)", `expected a value at position 5, found "("`],
    ["a b", `expected "=", "==", "!=", "in", "notin", ">" or "<" at position 3, found "b"`],
  ];
  for (const [text, problem] of cases) {
    throwsSelectorError(
      () => parseLabelSelector(text),
      `Cannot parse label selector "${text}": ${problem}`,
    );
  }
});

Deno.test("parseLabelSelector() names a key or value that is not valid", () => {
  const name =
    `alphanumeric characters, "-", "_" or ".", starting and ending with an alphanumeric character`;
  const long = "a".repeat(64);
  const cases: [string, string][] = [
    ["-app", `key at position 1 must have a name of ${name}: current value is "-app"`],
    [
      long,
      `key at position 1 must have a name of at most 63 characters: current value is "${long}"`,
    ],
    ["x/", `key at position 1 must have a non-empty name: current value is "x/"`],
    [
      "x/y/z",
      `key at position 1 must be a name with an optional DNS subdomain prefix and "/": current value is "x/y/z"`,
    ],
    [
      "Example.com/app",
      `key at position 1 must have a prefix that is a lowercase DNS subdomain of at most 253 characters: current value is "Example.com/app"`,
    ],
    [
      "app=-web",
      `value at position 5 must be empty or consist of ${name}: current value is "-web"`,
    ],
    [
      `a in (b,${long})`,
      `value at position 9 must be at most 63 characters: current value is "${long}"`,
    ],
    [
      "app=\u00e9",
      `value at position 5 must be empty or consist of ${name}: current value is "\u00e9"`,
    ],
    ["rank>x", `value at position 6 must be an integer: current value is "x"`],
    ["rank>", `value at position 6 must be an integer: current value is ""`],
    [
      "rank<9223372036854775808",
      `value at position 6 must be an integer: current value is "9223372036854775808"`,
    ],
  ];
  for (const [text, problem] of cases) {
    throwsSelectorError(
      () => parseLabelSelector(text),
      `Cannot parse label selector "${text}": ${problem}`,
    );
  }
});

Deno.test("labelSelectorFromObject() converts matchLabels and matchExpressions", () => {
  const selector = labelSelectorFromObject({
    matchLabels: { app: "web" },
    matchExpressions: [
      { key: "tier", operator: "In", values: ["front", "back"] },
      { key: "legacy", operator: "DoesNotExist" },
      { key: "zone", operator: "Exists", values: [] },
      { key: "env", operator: "NotIn", values: ["dev"] },
    ],
  });
  equal(selector.toString(), "app=web,env notin (dev),!legacy,tier in (back,front),zone");
  ok(selector.matches({ app: "web", tier: "back", zone: "a" }));
  ok(!selector.matches({ app: "web", tier: "back", zone: "a", env: "dev" }));
  ok(labelSelectorFromObject({}).isEverything());
  ok(labelSelectorFromObject({ matchLabels: {}, matchExpressions: [] }).isEverything());
});

Deno.test("labelSelectorFromObject() names the field that is not valid", () => {
  const cases: [Parameters<typeof labelSelectorFromObject>[0], string][] = [
    [
      { matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] },
      `matchExpressions[0].operator must be "In", "NotIn", "Exists" or "DoesNotExist": current value is "Gt"`,
    ],
    [
      { matchExpressions: [{ key: "a", operator: "In", values: [] }] },
      `matchExpressions[0].values must not be empty for operator "In"`,
    ],
    [
      { matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] },
      `matchExpressions[0].values must be empty for operator "Exists": current value is ["x"]`,
    ],
    [
      { matchExpressions: [{ key: "a", operator: "NotIn", values: ["ok", "b@d"] }] },
      `matchExpressions[0].values[1] must be empty or consist of alphanumeric characters, "-", "_" or ".", starting and ending with an alphanumeric character: current value is "b@d"`,
    ],
    [
      { matchLabels: { "x/": "y" } },
      `matchLabels key must have a non-empty name: current value is "x/"`,
    ],
    [
      { matchLabels: { a: "v".repeat(64) } },
      `matchLabels["a"] must be at most 63 characters: current value is "${"v".repeat(64)}"`,
    ],
  ];
  for (const [object, problem] of cases) {
    const subject = JSON.stringify(object);
    throwsSelectorError(
      () => labelSelectorFromObject(object),
      `Cannot parse label selector ${subject}: ${problem}`,
    );
  }
});

const keys = ["app", "tier", "in", "notin", "example.com/team", "a.b_c-d", "X9"];
const values = ["", "web", "db", "in", "notin", "v1.2_x-y", "0", "7", "10"];
const spacing = fc.constantFrom("", " ", "  ", "\t");
const requirement = fc.oneof(
  fc.record({
    key: fc.constantFrom(...keys),
    operator: fc.constantFrom<LabelOperator>("in", "notin"),
    values: fc.array(fc.constantFrom(...values), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({
    key: fc.constantFrom(...keys),
    operator: fc.constantFrom<LabelOperator>("=", "==", "!=", "exists", "!"),
    values: fc.constantFrom(...values).map((value) => [value]),
  }),
  fc.record({
    key: fc.constantFrom(...keys),
    operator: fc.constantFrom<LabelOperator>("gt", "lt"),
    values: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map((value) => [String(value)]),
  }),
);
/** A requirement written with arbitrary spacing, and its expected operator and values. */
const written = fc.tuple(requirement, spacing, spacing).map(([{ key, operator, values }, s, t]) => {
  const text = operator === "exists"
    ? key
    : operator === "!"
    ? `!${s}${key}`
    : operator === "in" || operator === "notin"
    ? `${key} ${operator}${s}(${values.join(`${t},${s}`)}${t})`
    : `${key}${s}${operator === "gt" ? ">" : operator === "lt" ? "<" : operator}${t}${values[0]}`;
  const kept = operator === "exists" || operator === "!" ? [] : [...new Set(values)].sort();
  return { text, requirement: { key, operator, values: kept } };
});
const labelMap = fc.dictionary(
  fc.constantFrom(...keys),
  fc.oneof(
    fc.constantFrom(...values),
    fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String),
  ),
);

Deno.test("parseLabelSelector() round-trips random requirements through toString()", () => {
  fc.assert(
    fc.property(
      fc.array(written, { maxLength: 6 }),
      fc.array(labelMap, { maxLength: 10 }),
      (requirements, labelMaps) => {
        const selector = parseLabelSelector(requirements.map(({ text }) => text).join(" , "));
        const expected = requirements.map((entry) => entry.requirement);
        deepStrictEqual(
          selector.requirements,
          expected.sort((a, b) => a.key < b.key ? -1 : +(a.key > b.key)),
        );
        const again = parseLabelSelector(selector.toString());
        deepStrictEqual(again.requirements, selector.requirements);
        equal(again.toString(), selector.toString());
        for (const labels of labelMaps) equal(again.matches(labels), selector.matches(labels));
      },
    ),
    { numRuns: 500 },
  );
});

const labelledServices: Record<string, Record<string, string>> = {
  web: { app: "web", tier: "front", rank: "3" },
  db: { app: "db", tier: "back", rank: "12" },
  cache: { app: "cache", tier: "back", "example.com/team": "core" },
  bare: {},
};
const crossChecked = [
  "",
  "app=web",
  "app==db",
  "app!=web",
  "tier",
  "!tier",
  "tier in (front,back),app notin (db)",
  "app in ()",
  "tier in (front,)",
  "example.com/team=core",
  " app = web , !example.com/team ",
  "rank>4",
  "rank<4",
  "in notin (in)",
  "app=",
  "app in (web",
  "app in web",
  "=web",
  "app=web=x",
  "app=we b",
  "-app",
  "app=-web",
  "app,",
  "Example.com/team",
  "x/y/z",
  "!app=web",
  "rank>x",
  "a".repeat(64),
];

Deno.test("parseLabelSelector() accepts and selects exactly what kube-apiserver does", async () => {
  await withClusters(["label-selectors"], async ([cluster]) => {
    if (!cluster) throw new Error("no cluster");
    const post = (path: string, body: unknown) => sendJson(cluster, { method: "POST", path, body });
    await post("/api/v1/namespaces", { metadata: { name: "selectors" } });
    for (const [name, labels] of Object.entries(labelledServices)) {
      await post("/api/v1/namespaces/selectors/services", {
        metadata: { name, labels },
        spec: { ports: [{ port: 80 }] },
      });
    }
    await assertSelectsAsApiserver(cluster, {
      path: "/api/v1/namespaces/selectors/services",
      parameter: "labelSelector",
      selectors: crossChecked,
      select: (text) => {
        const selector = parseLabelSelector(text);
        return Object.keys(labelledServices).filter((name) =>
          selector.matches(labelledServices[name])
        );
      },
    });
  });
});
