import { deepStrictEqual, equal } from "node:assert/strict";
import { parseQueueKey, queueKey } from "./queue_keys.ts";

Deno.test("queueKey() and parseQueueKey() round-trip a model's host key; a bare key has no model", () => {
  equal(queueKey("mirror", "shop/web"), "mirror:shop/web");
  deepStrictEqual(parseQueueKey("mirror:shop/web"), { model: "mirror", key: "shop/web" });
  deepStrictEqual(parseQueueKey("import:/web"), { model: "import", key: "/web" });
  deepStrictEqual(parseQueueKey("shop/web"), { model: "", key: "shop/web" });
});
