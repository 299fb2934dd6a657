import { equal, match, notEqual } from "node:assert/strict";
import fc from "fast-check";
import { derivedName, maxNameLength, sliceName } from "./_desired_name.ts";

const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

Deno.test("derivedName() joins valid parts with dashes and leaves them as they are", () => {
  equal(derivedName(["web", "east", "ipv4", 0, 1]), "web-east-ipv4-0-1");
});

Deno.test("derivedName() shortens a name over 253 characters with a stable hash suffix", () => {
  const parts = ["a".repeat(200), "b".repeat(100), "ipv6", 2, 3];
  const name = derivedName(parts);
  equal(name.length, maxNameLength);
  match(name, /^a{200}-b{41}-[0-9a-f]{10}$/);
  equal(derivedName(parts), name, "the same parts give the same name");
  notEqual(derivedName(["a".repeat(200), "b".repeat(100), "ipv6", 2, 4]), name);
});

Deno.test("derivedName() replaces characters a label value allows and a name does not", () => {
  const name = derivedName(["web", "East_1", "ipv4", 0, 0]);
  match(name, /^web-east-1-ipv4-0-0-[0-9a-f]{10}$/);
  notEqual(name, derivedName(["web", "east-1", "ipv4", 0, 0]), "the hash keeps them apart");
  notEqual(name, derivedName(["web", "east_1", "ipv4", 0, 0]));
});

Deno.test("derivedName() always gives a valid DNS-1123 subdomain", () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.string({ maxLength: 120 }), fc.nat()), { minLength: 1, maxLength: 6 }),
      (parts) => {
        const name = derivedName(parts);
        equal(name.length <= maxNameLength, true);
        match(name, subdomain);
        equal(derivedName(parts), name);
      },
    ),
  );
});

Deno.test("sliceName() keeps apart the pairs a dash join confuses", () => {
  equal(sliceName("web", "east", "ipv4-0-1"), "web.east.ipv4-0-1");
  // Joined with dashes, each of these pairs gave one name.
  notEqual(sliceName("a-b", "c", "ipv4-0-0"), sliceName("a", "b-c", "ipv4-0-0"));
  notEqual(
    sliceName("web", "east-ipv4-0", "ipv4-0-0"),
    sliceName("web-east", "ipv4-0", "ipv4-0-0"),
  );
});

Deno.test("sliceName() gives distinct valid names to distinct Services, sources and slots", () => {
  const serviceName = fc.stringMatching(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
  const sourceName = fc.stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/);
  const slot = fc.tuple(fc.constantFrom("ipv4", "ipv6"), fc.nat(20), fc.nat(20))
    .map((parts) => parts.join("-"));
  const triple = fc.tuple(serviceName, sourceName, slot);
  fc.assert(
    fc.property(triple, triple, (a, b) => {
      const [nameA, nameB] = [sliceName(...a), sliceName(...b)];
      match(nameA, subdomain);
      equal(nameA.length <= maxNameLength, true);
      equal(nameA === nameB, a.join("/") === b.join("/"));
    }),
    { numRuns: 2000 },
  );
});
