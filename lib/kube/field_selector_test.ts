import { deepStrictEqual, equal, ok } from "node:assert/strict";
import fc from "fast-check";
import { withClusters } from "../../tests/cluster/mod.ts";
import { sendJson } from "../../tests/support/api_json.ts";
import { assertSelectsAsApiserver, throwsSelectorError } from "../../tests/support/selectors.ts";
import { objectFields, parseFieldSelector } from "./field_selector.ts";

const supported = ["metadata.name", "metadata.namespace"];

Deno.test("parseFieldSelector() reads =, == and != and prints the canonical form", () => {
  const cases: [string, string][] = [
    ["metadata.name=web", "metadata.name=web"],
    ["metadata.name==web", "metadata.name=web"],
    ["metadata.namespace!=demo,metadata.name=web", "metadata.name=web,metadata.namespace!=demo"],
    [",metadata.name=web,,", "metadata.name=web"],
    ["metadata.name=", "metadata.name="],
    ["metadata.name= web ", "metadata.name= web "],
    ["metadata.name=a!b", "metadata.name=a!b"],
  ];
  for (const [text, canonical] of cases) {
    equal(parseFieldSelector(text, { supported }).toString(), canonical, text);
  }
  deepStrictEqual(parseFieldSelector("metadata.name!=a", { supported }).requirements, [
    { field: "metadata.name", operator: "!=", value: "a" },
  ]);
});

Deno.test("parseFieldSelector() unescapes \\\\, \\, and \\= in values", () => {
  const selector = parseFieldSelector(String.raw`metadata.name=a\,b\=c\\d`, { supported });
  deepStrictEqual(selector.requirements, [
    { field: "metadata.name", operator: "=", value: String.raw`a,b=c\d` },
  ]);
  equal(selector.toString(), String.raw`metadata.name=a\,b\=c\\d`);
});

Deno.test("parseFieldSelector() treats an empty selector as everything", () => {
  for (const text of ["", ",", ",,"]) {
    const selector = parseFieldSelector(text, { supported: [] });
    ok(selector.isEverything());
    ok(selector.matches({}));
    equal(selector.toString(), "");
  }
  ok(!parseFieldSelector("metadata.name=a", { supported }).isEverything());
});

Deno.test("matches() reads a missing field as the empty string", () => {
  const fields = { "metadata.name": "web", "metadata.namespace": "demo" };
  const cases: [string, Record<string, string>, boolean][] = [
    ["metadata.name=web", fields, true],
    ["metadata.name!=web", fields, false],
    ["metadata.name=web,metadata.namespace=other", fields, false],
    ["metadata.name!=db,metadata.namespace==demo", fields, true],
    ["metadata.name=", {}, true],
    ["metadata.name!=web", {}, true],
    ["metadata.name=web", {}, false],
  ];
  for (const [text, given, expected] of cases) {
    equal(parseFieldSelector(text, { supported }).matches(given), expected, text);
  }
});

Deno.test("parseFieldSelector() names what is wrong", () => {
  const cases: [string, string][] = [
    ["metadata.name", `term "metadata.name" must be field=value, field==value or field!=value`],
    ["metadata.name=a=b", `"=" in the value of term "metadata.name=a=b" must be escaped`],
    ["metadata.name===b", `"=" in the value of term "metadata.name===b" must be escaped`],
    [
      String.raw`metadata.name=a\x`,
      String.raw`term "metadata.name=a\x" has an invalid escape sequence "\x"`,
    ],
    [
      String.raw`metadata.name=a\!`,
      String.raw`term "metadata.name=a\!" has an invalid escape sequence "\!"`,
    ],
    [
      `metadata.name=a${"\\".repeat(3)}`,
      `term "metadata.name=a${"\\".repeat(3)}" has an invalid escape sequence "\\"`,
    ],
    ["spec.type=ClusterIP", "field label not supported: spec.type"],
    ["metadata.name =web", "field label not supported: metadata.name "],
  ];
  for (const [text, problem] of cases) {
    throwsSelectorError(
      () => parseFieldSelector(text, { supported }),
      `Cannot parse field selector "${text}": ${problem}`,
    );
  }
});

Deno.test("objectFields() gives metadata.name and metadata.namespace, empty when missing", () => {
  deepStrictEqual(objectFields({ metadata: { name: "web", namespace: "demo" } }), {
    "metadata.name": "web",
    "metadata.namespace": "demo",
  });
  deepStrictEqual(objectFields({}), { "metadata.name": "", "metadata.namespace": "" });
});

Deno.test("parseFieldSelector() round-trips random values through toString()", () => {
  const term = fc.record({
    field: fc.constantFrom(...supported),
    operator: fc.constantFrom<"=" | "!=">("=", "!="),
    value: fc.string({ unit: fc.constantFrom("a", "-", ".", "\\", ",", "=", "!", " ") }),
  });
  fc.assert(
    fc.property(fc.array(term, { maxLength: 5 }), (terms) => {
      const text = terms
        .map(({ field, operator, value }) =>
          `${field}${operator}${value.replace(/[\\,=]/g, "\\$&")}`
        )
        .join(",");
      const selector = parseFieldSelector(text, { supported });
      const key = ({ field, operator, value }: (typeof terms)[number]) =>
        JSON.stringify([field, operator, value]);
      deepStrictEqual(selector.requirements.map(key).sort(), terms.map(key).sort());
      const again = parseFieldSelector(selector.toString(), { supported });
      deepStrictEqual(again.requirements, selector.requirements);
      equal(again.toString(), selector.toString());
      for (const { field, value } of terms) {
        const fields = { [field]: value };
        equal(again.matches(fields), selector.matches(fields));
      }
    }),
    { numRuns: 300 },
  );
});

interface ServiceItem {
  metadata: { name: string; namespace: string };
  spec: { type: string; clusterIP: string };
}

const crossChecked = [
  "",
  "metadata.name=web",
  "metadata.name==db",
  "metadata.name!=web",
  "metadata.namespace=selectors,metadata.name!=db",
  "metadata.namespace=default",
  "metadata.name=web,",
  "spec.clusterIP=None",
  String.raw`metadata.name=a\=b`,
  "status.phase=Running",
  "metadata.labels=x",
  "metadata.name",
  "metadata.name=a=b",
  String.raw`metadata.name=web\x`,
  "metadata.name = web",
];

Deno.test("parseFieldSelector() accepts and selects exactly what kube-apiserver does", async () => {
  // The apiserver's Service kind also selects on spec.type and spec.clusterIP.
  const serviceFields = [...supported, "spec.type", "spec.clusterIP"];
  await withClusters(["field-selectors"], async ([cluster]) => {
    if (!cluster) throw new Error("no cluster");
    const post = (path: string, body: unknown) =>
      sendJson<ServiceItem>(cluster, { method: "POST", path, body });
    await post("/api/v1/namespaces", { metadata: { name: "selectors" } });
    const services: ServiceItem[] = [];
    for (const [name, clusterIP] of [["web"], ["db"], ["cache", "None"]]) {
      services.push(
        await post("/api/v1/namespaces/selectors/services", {
          metadata: { name },
          spec: { ports: [{ port: 80 }], ...(clusterIP ? { clusterIP } : {}) },
        }),
      );
    }
    await assertSelectsAsApiserver(cluster, {
      path: "/api/v1/namespaces/selectors/services",
      parameter: "fieldSelector",
      selectors: crossChecked,
      select: (text) => {
        const selector = parseFieldSelector(text, { supported: serviceFields });
        return services.filter((service) =>
          selector.matches({
            ...objectFields(service),
            "spec.type": service.spec.type,
            "spec.clusterIP": service.spec.clusterIP,
          })
        ).map((service) => service.metadata.name);
      },
    });
  });
});
