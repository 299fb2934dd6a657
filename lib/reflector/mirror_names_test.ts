import { deepStrictEqual, equal, notEqual, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import {
  checkNameTemplate,
  MirrorNaming,
  NameTemplateError,
  namingAnnotation,
  rendered,
} from "./mirror_names.ts";

const dns1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

const service = (name: string, mode?: string): Service => ({
  metadata: {
    name,
    namespace: "shop",
    ...(mode ? { annotations: { [namingAnnotation]: mode } } : {}),
  },
});

Deno.test("MirrorNaming: {name} merges, a template with {source} names per source, and the annotation chooses for one Service", () => {
  const merged = new MirrorNaming();
  equal(merged.name(service("web"), "east"), "web");
  equal(merged.mode(service("web")), "merged");
  equal(merged.name(service("web", "per-source"), "east"), "web-east");
  equal(merged.mode(service("web", "per-source")), "per-source");
  equal(merged.name(service("web", "sideways"), "east"), "web", "an unknown mode is the default");

  const perSource = new MirrorNaming("{source}-{name}");
  equal(perSource.name(service("web"), "east"), "east-web");
  equal(perSource.name(service("web", "merged"), "east"), "web");
  equal(perSource.name(service("web", "per-source"), "east"), "east-web");
  equal(perSource.claimant(service("web"), "east"), "east/web");
  equal(perSource.claimant(service("web", "merged"), "east"), "merged web");
});

Deno.test("rendered() makes a 63-character-or-longer or invalid name a DNS-1035 label with a stable hash", () => {
  const long = "a".repeat(63);
  const name = rendered("{name}-{source}", long, "east");
  equal(name.length, 63);
  ok(dns1035.test(name), name);
  equal(rendered("{name}-{source}", long, "east"), name, "stable");
  notEqual(rendered("{name}-{source}", long, "west"), name, "distinct sources stay distinct");
  // Label values a DNS label does not allow: upper case, "_", ".", a leading digit.
  for (const source of ["East", "east_1", "east.example", "1east"]) {
    const each = rendered("{source}-{name}", "web", source);
    ok(dns1035.test(each), each);
  }
  notEqual(rendered("{name}-{source}", "web", "East"), rendered("{name}-{source}", "web", "east"));
  equal(rendered("{name}-{source}", "web", "east"), "web-east", "a valid name is kept as rendered");
});

Deno.test("rendered() gives a DNS-1035 label for any Service name and source name, distinct for distinct shortened inputs", () => {
  const serviceName = fc.stringMatching(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
  const sourceName = fc.stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/);
  const template = fc.constantFrom(
    "{name}",
    "{name}-{source}",
    "{source}-{name}",
    "x{source}{name}",
  );
  fc.assert(fc.property(template, serviceName, sourceName, (each, name, source) => {
    const result = rendered(each, name, source);
    return dns1035.test(result) && rendered(each, name, source) === result;
  }));
  fc.assert(fc.property(serviceName, sourceName, sourceName, (name, a, b) => {
    fc.pre(a !== b);
    const [first, second] = [
      rendered("{name}-{source}", name, a),
      rendered("{name}-{source}", name, b),
    ];
    // Two sources' names for one Service never meet, unless both render as is (then they differ).
    return first !== second;
  }));
});

Deno.test("checkNameTemplate() names what is wrong with a template", () => {
  deepStrictEqual(checkNameTemplate("{name}-{source}"), "{name}-{source}");
  const cases: [string, string][] = [
    ["{source}", "it must hold {name} once"],
    ["{name}-{name}", "it must hold {name} once"],
    ["{name}-{source}-{source}", "it may hold {source} at most once"],
    ["{name}_{source}", "it may hold only {name}, {source}, lower-case letters, digits and -"],
    ["{Name}", "it may hold only {name}, {source}, lower-case letters, digits and -"],
    ["", "it may hold only {name}, {source}, lower-case letters, digits and -"],
  ];
  for (const [template, reason] of cases) {
    throws(
      () => checkNameTemplate(template),
      (error: unknown) =>
        error instanceof NameTemplateError && error.reason === reason &&
        error.message ===
          `Cannot use name template as ${reason}: current value is ${JSON.stringify(template)}`,
    );
  }
});
