import { deepStrictEqual, equal } from "node:assert/strict";
import { NamespaceParking } from "./namespace_parking.ts";

Deno.test("NamespaceParking parks keys per namespace, says which is first, and wakes each once", () => {
  const parking = new NamespaceParking();
  equal(parking.park("mirror:team/api", "team"), true);
  equal(parking.park("mirror:team/web", "team"), false);
  equal(parking.park("mirror:team/api", "team"), false);
  equal(parking.park("mirror:shop/web", "shop"), true);
  deepStrictEqual(parking.wake("team"), ["mirror:team/api", "mirror:team/web"]);
  deepStrictEqual(parking.wake("team"), []);
  equal(parking.park("mirror:team/api", "team"), true, "after a wake, the next key is first again");
  deepStrictEqual(parking.wake("shop"), ["mirror:shop/web"]);
});
