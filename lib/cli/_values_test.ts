import { deepEqual, equal, throws } from "node:assert/strict";
import {
  FlagValueError,
  parseBool,
  parseByteSize,
  parseDuration,
  parseIp,
  parseListen,
  parseLogLevel,
  parseNamespace,
  parseObjectName,
  parsePort,
  parsePositiveInteger,
  parseSelector,
  UsageError,
} from "./_values.ts";

function rejects(run: () => unknown, message: string): void {
  throws(run, (error: unknown) => {
    equal(error instanceof FlagValueError && error instanceof UsageError, true);
    equal((error as Error).message, message);
    return true;
  });
}

Deno.test("parseBool() accepts exactly the spellings of Go's strconv.ParseBool", () => {
  for (const text of ["1", "t", "T", "TRUE", "true", "True"]) equal(parseBool("--x", text), true);
  for (const text of ["0", "f", "F", "FALSE", "false", "False"]) {
    equal(parseBool("--x", text), false);
  }
  for (const text of ["", "yes", "tRUE", " true", "2"]) {
    rejects(
      () => parseBool("--x", text),
      `invalid value ${JSON.stringify(text)} for --x: must be true or false`,
    );
  }
});

Deno.test("parsePort() accepts decimal ports from 0 to 65535 only", () => {
  deepEqual(["0", "80", "065535"].map((text) => parsePort("--p", text)), [0, 80, 65535]);
  for (const text of ["", "-1", "65536", "8080.0", "0x50", " 80", "1e3", "123456"]) {
    rejects(
      () => parsePort("--p", text),
      `invalid value ${JSON.stringify(text)} for --p: must be a port from 0 to 65535`,
    );
  }
});

Deno.test("parsePositiveInteger() accepts integers from 1 to the maximum", () => {
  deepEqual(["1", "4", "1000"].map((text) => parsePositiveInteger("--n", text, 1000)), [
    1,
    4,
    1000,
  ]);
  for (const text of ["0", "1001", "-3", "two", "", "9999999999"]) {
    rejects(
      () => parsePositiveInteger("--n", text, 1000),
      `invalid value ${JSON.stringify(text)} for --n: must be an integer from 1 to 1000`,
    );
  }
});

Deno.test("parseByteSize() accepts bytes with an optional Ki, Mi or Gi suffix, up to the maximum", () => {
  deepEqual(
    ["1", "65536", "64Ki", "4Mi", "1Gi"].map((text) => parseByteSize("--b", text, 1024 ** 3)),
    [1, 65536, 65536, 4 * 1024 * 1024, 1024 ** 3],
  );
  for (const text of ["0", "0Mi", "2Gi", "1.5Mi", "4MiB", "4M", "-1", "", " 1"]) {
    rejects(
      () => parseByteSize("--b", text, 1024 ** 3),
      `invalid value ${JSON.stringify(text)} for --b: must be a size from 1 byte to 1Gi, ` +
        "in bytes or with Ki, Mi or Gi",
    );
  }
});

Deno.test("parseIp() accepts IPv4 and IPv6 addresses, not names or brackets", () => {
  for (const text of ["0.0.0.0", "10.1.2.3", "::", "fd00::1", "::ffff:10.0.0.1"]) {
    equal(parseIp("--ip", text), text);
  }
  for (const text of ["", "localhost", "[::1]", "256.0.0.1", "10.0.0.1:80"]) {
    rejects(
      () => parseIp("--ip", text),
      `invalid value ${JSON.stringify(text)} for --ip: must be an IPv4 or IPv6 address`,
    );
  }
});

Deno.test("parseListen() reads host:port, [ipv6]:port and :port as Go's net.Listen", () => {
  const cases: [string, string, number][] = [
    [":9090", "0.0.0.0", 9090],
    [":0", "0.0.0.0", 0],
    ["127.0.0.1:8081", "127.0.0.1", 8081],
    ["localhost:9090", "localhost", 9090],
    ["metrics.example.com:80", "metrics.example.com", 80],
    ["[::]:9090", "::", 9090],
    ["[fd00::1]:9090", "fd00::1", 9090],
  ];
  for (const [text, hostname, port] of cases) {
    deepEqual(parseListen("--listen", text), { hostname, port }, text);
  }
  for (
    const text of [
      "",
      "9090",
      ":",
      ":65536",
      "::1:9090",
      "[]:80",
      "[10.0.0.1]:80",
      "a b:80",
      "host:http",
      "-bad-:80",
    ]
  ) {
    rejects(
      () => parseListen("--listen", text),
      `invalid value ${
        JSON.stringify(text)
      } for --listen: must be host:port, [ipv6]:port or :port with a port from 0 to 65535`,
    );
  }
});

Deno.test("parseNamespace() accepts DNS labels of at most 63 characters", () => {
  for (const text of ["default", "kube-system", "a", "0", "a".repeat(63)]) {
    equal(parseNamespace("--namespace", text), text);
  }
  for (const text of ["Default", "-a", "a-", "a.b", "a_b", "a".repeat(64)]) {
    rejects(
      () => parseNamespace("--namespace", text),
      `invalid value ${
        JSON.stringify(text)
      } for --namespace: must be a namespace name: at most 63 lowercase alphanumeric characters or "-", starting and ending with an alphanumeric character`,
    );
  }
});

Deno.test("parseSelector() returns the canonical selector and names the parse error", () => {
  equal(parseSelector("--s", ""), "");
  equal(parseSelector("--s", "  "), "");
  equal(parseSelector("--s", "tier in (web, api), !legacy"), "!legacy,tier in (api,web)");
  rejects(
    () => parseSelector("--s", "a in"),
    'invalid value "a in" for --s: must be a label selector: expected "(" at position 5',
  );
  throws(() => parseSelector("--s", "a in"), (error: unknown) => {
    equal((error as Error).cause instanceof Error, true);
    return true;
  });
});

Deno.test("parseLogLevel() accepts the original's six levels, case-sensitively", () => {
  for (const level of ["all", "debug", "info", "warn", "error", "none"]) {
    equal(parseLogLevel("--log-level", level), level);
  }
  for (const text of ["INFO", "warning", ""]) {
    rejects(
      () => parseLogLevel("--log-level", text),
      `invalid value ${
        JSON.stringify(text)
      } for --log-level: must be one of all, debug, info, warn, error, none`,
    );
  }
});

Deno.test("FlagValueError keeps the flag and the value", () => {
  const error = new FlagValueError("--listen", 'a"b', "must be good");
  deepEqual([error.name, error.flag, error.value, error.message], [
    "FlagValueError",
    "--listen",
    'a"b',
    'invalid value "a\\"b" for --listen: must be good',
  ]);
});

Deno.test("parseDuration() reads Go's duration syntax into milliseconds", () => {
  const cases: [string, number][] = [
    ["15s", 15_000],
    ["500ms", 500],
    ["1m30s", 90_000],
    ["1.5h", 5_400_000],
    ["2s500ms", 2_500],
  ];
  for (const [text, ms] of cases) equal(parseDuration("--d", text), ms, text);
  for (const text of ["", "15", "0s", "-1s", "1d", "15 s", "s", "1.s", "+2s"]) {
    rejects(
      () => parseDuration("--d", text),
      `invalid value ${
        JSON.stringify(text)
      } for --d: must be a positive duration such as 15s, 1m30s or 500ms`,
    );
  }
});

Deno.test("parseObjectName() accepts DNS subdomains only", () => {
  equal(parseObjectName("--n", "service-reflector.lock"), "service-reflector.lock");
  for (const text of ["", "Upper", "-a", "a-", "a_b", "a".repeat(254)]) {
    throws(() => parseObjectName("--n", text), FlagValueError, text);
  }
});
