import { deepStrictEqual, equal } from "node:assert/strict";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { StatusError } from "../kube/status_error.ts";
import type { Write } from "./applier.ts";
import { type Denial, DeniedWrites, describeDenial } from "./denied_writes.ts";

const update = (key: string): Write => ({
  verb: "update",
  resource: "endpointslices",
  key,
  mirror: "shop/web",
});
const forbidden = new StatusError("PUT https://west.example/apis/discovery.k8s.io/v1/...", {
  code: 403,
  reason: "Forbidden",
  message: 'endpointslices.discovery.k8s.io "web-1" is forbidden',
});

Deno.test("DeniedWrites holds a kind of write from its first refusal until one of it is accepted, telling each change once", async () => {
  const clock = new FakeClock(10_000);
  const changes: [string, boolean, number][] = [];
  const denied = new DeniedWrites({
    clock,
    onChange: (denial, now) =>
      changes.push([`${denial.verb} ${denial.resource}`, now, denial.count]),
  });
  denied.onWrite(update("shop/web-1"));
  equal(denied.denials.length, 0, "an accepted write of a kind never denied changes nothing");

  denied.onWriteDenied(update("shop/web-1"), forbidden);
  await clock.advance(2_000);
  denied.onWriteDenied(update("shop/web-2"), forbidden);
  denied.onWriteDenied(
    { verb: "create", resource: "endpointslices", key: "shop/", mirror: "shop/db" },
    forbidden,
  );
  deepStrictEqual(denied.denials.map((each) => [each.verb, each.count, each.sinceMs, each.key]), [
    ["create", 1, 12_000, "shop/"],
    ["update", 2, 10_000, "shop/web-2"],
  ]);
  equal(denied.denials[1]?.message, 'endpointslices.discovery.k8s.io "web-1" is forbidden');

  // A write of another kind, or of another resource, leaves the update denied.
  denied.onWrite({ ...update("shop/web-1"), resource: "services" });
  denied.onWrite({ ...update("shop/web-1"), verb: "create" });
  deepStrictEqual(denied.denials.map((each) => each.verb), ["update"]);
  denied.onWrite(update("shop/web-3"));
  deepStrictEqual(denied.denials, []);
  deepStrictEqual(changes, [
    ["update endpointslices", true, 1],
    ["create endpointslices", true, 1],
    ["create endpointslices", false, 1],
    ["update endpointslices", false, 2],
  ]);

  denied.onWriteDenied(update("shop/web-1"), forbidden);
  denied.clear();
  deepStrictEqual(denied.denials, []);
  equal(changes.length, 5, "cleared untold");
});

Deno.test("describeDenial() names the code, the count, the age, the object and the cause", () => {
  const denial: Denial = {
    verb: "update",
    resource: "endpointslices",
    code: 403,
    count: 3,
    sinceMs: 1_000,
    key: "shop/web-1",
    message: "",
  };
  equal(
    describeDenial(denial, 13_400),
    "denied (403 Forbidden) 3 times since 12s ago, last for shop/web-1: " +
      "the host role lacks this permission",
  );
  equal(
    describeDenial({ ...denial, code: 401, count: 1 }, 1_000),
    "denied (401 Unauthorized) once since 0s ago, last for shop/web-1: " +
      "the host does not accept the credentials",
  );
});
