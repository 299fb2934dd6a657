import { deepStrictEqual } from "node:assert/strict";
import { createLogger } from "./logger.ts";

function capture(
  level: Parameters<typeof createLogger>[0] extends infer O ? O extends { level?: infer L } ? L
    : never
    : never,
) {
  const lines: unknown[] = [];
  const logger = createLogger({
    level,
    write: (line) => lines.push(JSON.parse(line)),
    now: () => 0,
  });
  return { logger, lines };
}

Deno.test("createLogger() writes JSON lines with fields from children and calls", () => {
  const { logger, lines } = capture("info");
  logger.child({ component: "reflector" }).child({ source: "east" }).info("mirrored", {
    key: "a/b",
  });
  deepStrictEqual(lines, [{
    level: "info",
    ts: "1970-01-01T00:00:00.000Z",
    msg: "mirrored",
    component: "reflector",
    source: "east",
    key: "a/b",
  }]);
});

Deno.test("createLogger() filters by level and renders error causes", () => {
  const { logger, lines } = capture("warn");
  logger.debug("hidden");
  logger.info("hidden");
  logger.warn("shown");
  logger.error("failed", { error: new Error("outer", { cause: new Error("inner") }) });
  deepStrictEqual(lines.map((line) => (line as { msg: string }).msg), ["shown", "failed"]);
  deepStrictEqual((lines[1] as { error: string }).error, "outer: caused by: inner");
  const none = capture("none");
  none.logger.error("hidden");
  deepStrictEqual(none.lines, []);
  const all = capture("all");
  all.logger.debug("shown");
  deepStrictEqual(all.lines.length, 1);
});
