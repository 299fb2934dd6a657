import { deepEqual } from "node:assert/strict";
import { createLogger } from "../log/logger.ts";
import { connectionReports } from "./_connection_reports.ts";

Deno.test("connectionReports() logs a warning per report, naming the port, the counts and the cap's flag", () => {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ write: (line) => lines.push(JSON.parse(line)), now: () => 0 });
  const reports = connectionReports(log, "--emitter.max-connections");
  reports.onAcceptFailure(
    { error: new Error("Too many open files"), failures: 3, retryInMs: 20 },
    8080,
  );
  reports.onRefusal({ refused: 7, maxConnections: 1000 }, 8080);
  deepEqual(lines.map(({ ts: _, ...line }) => line), [
    {
      level: "warn",
      msg: "cannot accept connections, retrying",
      port: 8080,
      failures: 3,
      retryInMs: 20,
      error: "Too many open files",
    },
    {
      level: "warn",
      msg: "connections refused at the cap",
      port: 8080,
      refused: 7,
      maxConnections: 1000,
      flag: "--emitter.max-connections",
    },
  ]);
});
