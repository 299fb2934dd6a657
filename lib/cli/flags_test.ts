import { deepEqual, equal, match, ok } from "node:assert/strict";
import { version } from "../version.ts";
import { type Config, parseFlags, type ParseResult } from "./flags.ts";
import { located, parsedConfig as config } from "./_cli_fixtures.ts";

const noEnv = () => undefined;

function exit(argv: string[]): Extract<ParseResult, { kind: "exit" }> {
  const result = parseFlags(argv, { env: noEnv });
  if (result.kind !== "exit") throw new Error(`expected an exit, got: ${JSON.stringify(result)}`);
  return result;
}

const sources = (c: Config) => located(c.reflector.sources);

const defaults: Config = {
  inCluster: false,
  listen: { hostname: "0.0.0.0", port: 9090 },
  listenLimits: { maxConnections: 100, requestHeaderTimeoutMs: 30_000 },
  logLevel: "info",
  emitter: {
    enabled: true,
    selector: "",
    insecurePort: 8080,
    securePort: 6443,
    bindAddress: "0.0.0.0",
    maxConnections: 1000,
    requestHeaderTimeoutMs: 30_000,
  },
  reflector: {
    enabled: true,
    sources: [],
    api: "mirror",
    selector: "",
    workers: 4,
    legacyEndpoints: false,
    createNamespaces: true,
    resyncMs: 600_000,
    staleAction: "not-ready",
    removeGraceMs: 300_000,
    nameTemplate: "{name}",
    sourceLimits: {
      maxListPages: 1000,
      maxListBytes: 256 * 1024 * 1024,
      maxEventBytes: 4 * 1024 * 1024,
      maxObjects: 100_000,
    },
  },
};

Deno.test("parseFlags() without flags gives the original's defaults", () => {
  deepEqual(config([]), defaults);
});

Deno.test("parseFlags() takes every value flag as --flag=value and as --flag value", () => {
  const cases: [flag: string, value: string, read: (config: Config) => unknown, want: unknown][] = [
    ["--kubeconfig", "/etc/kube/config", (c) => c.kubeconfig, "/etc/kube/config"],
    ["--listen", "127.0.0.1:9191", (c) => c.listen, { hostname: "127.0.0.1", port: 9191 }],
    ["--log-level", "debug", (c) => c.logLevel, "debug"],
    ["--namespace", "kube-system", (c) => c.namespace, "kube-system"],
    ["--emitter.selector", "app=web", (c) => c.emitter.selector, "app=web"],
    ["--emitter.insecure-port", "18080", (c) => c.emitter.insecurePort, 18080],
    ["--emitter.secure-port", "0", (c) => c.emitter.securePort, 0],
    ["--emitter.bind-address", "::", (c) => c.emitter.bindAddress, "::"],
    ["--emitter.max-connections", "50", (c) => c.emitter.maxConnections, 50],
    ["--emitter.request-header-timeout", "5s", (c) => c.emitter.requestHeaderTimeoutMs, 5_000],
    ["--listen-max-connections", "20", (c) => c.listenLimits.maxConnections, 20],
    [
      "--listen-request-header-timeout",
      "2s",
      (c) => c.listenLimits.requestHeaderTimeoutMs,
      2_000,
    ],
    ["--emitter.cert-dir", "/var/lib/certs", (c) => c.emitter.certDir, "/var/lib/certs"],
    ["--emitter.token-file", "/etc/tokens", (c) => c.emitter.tokenFile, "/etc/tokens"],
    ["--emitter.client-ca", "/etc/ca.pem", (c) => c.emitter.clientCaFile, "/etc/ca.pem"],
    ["--reflector.selector", "!legacy", (c) => c.reflector.selector, "!legacy"],
    ["--reflector.workers", "16", (c) => c.reflector.workers, 16],
    ["--reflector.resync-period", "90s", (c) => c.reflector.resyncMs, 90_000],
    ["--reflector.stale-after", "5m", (c) => c.reflector.staleAfterMs, 300_000],
    ["--reflector.stale-action", "delete", (c) => c.reflector.staleAction, "delete"],
    ["--reflector.api", "mcs", (c) => c.reflector.api, "mcs"],
    ["--reflector.cluster-id", "east-1", (c) => c.reflector.clusterId, "east-1"],
    [
      "--reflector.sources-file",
      "/etc/sources.yaml",
      (c) => c.reflector.sourcesFile,
      "/etc/sources.yaml",
    ],
    ["--reflector.remove-grace", "30s", (c) => c.reflector.removeGraceMs, 30_000],
    [
      "--reflector.name-template",
      "{name}-{source}",
      (c) => c.reflector.nameTemplate,
      "{name}-{source}",
    ],
    ["--reflector.source-max-list-pages", "20", (c) => c.reflector.sourceLimits.maxListPages, 20],
    [
      "--reflector.source-max-list-bytes",
      "64Mi",
      (c) => c.reflector.sourceLimits.maxListBytes,
      64 * 1024 * 1024,
    ],
    [
      "--reflector.source-max-event-bytes",
      "65536",
      (c) => c.reflector.sourceLimits.maxEventBytes,
      65536,
    ],
    ["--reflector.source-max-objects", "5000", (c) => c.reflector.sourceLimits.maxObjects, 5000],
    ["--reflector.source-api", "http://b:8080", sources, [
      { name: "b", url: "http://b:8080" },
    ]],
    ["--reflector.source-kubeconfig", "/k/b.yaml", sources, [
      { name: "b", kubeconfig: "/k/b.yaml" },
    ]],
  ];
  for (const [flag, value, read, want] of cases) {
    deepEqual(read(config([`${flag}=${value}`])), want, `${flag}=${value}`);
    deepEqual(read(config([flag, value])), want, `${flag} ${value}`);
  }
});

Deno.test("parseFlags() reads booleans as Go's flag package does", () => {
  const cases: [argv: string[], emitter: boolean, reflector: boolean][] = [
    [["--emitter"], true, true],
    [["--reflector=false"], true, false],
    [["--emitter=false"], false, true],
    [["--emitter=0", "--reflector=T"], false, true],
    [["--emitter=FALSE", "--reflector"], false, true],
    [["--reflector=f", "--emitter=1"], true, false],
    [["--emitter=false", "--emitter=true"], true, true],
  ];
  for (const [argv, emitter, reflector] of cases) {
    const parsed = config(argv);
    deepEqual([parsed.emitter.enabled, parsed.reflector.enabled], [emitter, reflector], `${argv}`);
  }
  const parsed = config(["--reflector.endpoints", "--reflector.create-namespaces=false"]);
  deepEqual([parsed.reflector.legacyEndpoints, parsed.reflector.createNamespaces], [true, false]);
});

Deno.test("parseFlags() keeps the last value of a repeated flag", () => {
  equal(config(["--log-level=warn", "--log-level", "error"]).logLevel, "error");
});

Deno.test("parseFlags() takes the value after a space-form flag even if it starts with --", () => {
  equal(config(["--kubeconfig", "--odd-file-name"]).kubeconfig, "--odd-file-name");
});

Deno.test("parseFlags() collects source-api values, repeated and comma-separated, in order", () => {
  const parsed = config([
    "--reflector.source-api=http://a:8080,http://b.example:8080",
    "--reflector.source-kubeconfig=/etc/clusters/c.yaml",
    "--reflector.source-api=https://c",
  ]);
  deepEqual(sources(parsed), [
    { name: "a", url: "http://a:8080" },
    { name: "b-example", url: "http://b.example:8080" },
    { name: "c", url: "https://c" },
    { name: "c-2", kubeconfig: "/etc/clusters/c.yaml" },
  ]);
});

Deno.test("parseFlags() treats an empty $(SOURCE_API) as no sources yet", () => {
  const cases = [
    ["--reflector.source-api="],
    ["--reflector.source-api", ""],
    ["--reflector.source-api= , ,"],
    ["--reflector.source-api=", "--reflector.source-kubeconfig="],
  ];
  for (const argv of cases) {
    deepEqual(config(argv).reflector, defaults.reflector, JSON.stringify(argv));
  }
});

Deno.test("parseFlags() resolves the TLS pair only when both files are given", () => {
  const parsed = config(["--emitter.tls-cert-file=/c.pem", "--emitter.tls-private-key-file", "/k"]);
  deepEqual(parsed.emitter.tls, { certFile: "/c.pem", keyFile: "/k" });
});

Deno.test("parseFlags() reports in-cluster only without --kubeconfig and with both variables", () => {
  const pod = (name: string) =>
    ({ KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" })[name];
  equal(config([], pod).inCluster, true);
  equal(config(["--kubeconfig=/k"], pod).inCluster, false);
  equal(config(["--kubeconfig="], pod).inCluster, true);
  equal(
    config([], (name) => name === "KUBERNETES_SERVICE_HOST" ? "10.0.0.1" : undefined).inCluster,
    false,
  );
});

Deno.test("parseFlags() turns every bad value into exit code 2 with a one-line message", () => {
  const cases: [argv: string[], message: string][] = [
    [
      ["--emitter.insecure-port=abc"],
      'invalid value "abc" for --emitter.insecure-port: must be a port from 0 to 65535',
    ],
    [
      ["--emitter.secure-port", "65536"],
      'invalid value "65536" for --emitter.secure-port: must be a port from 0 to 65535',
    ],
    [
      ["--listen=9090"],
      'invalid value "9090" for --listen: must be host:port, [ipv6]:port or :port with a port from 0 to 65535',
    ],
    [
      ["--listen=::1:9090"],
      'invalid value "::1:9090" for --listen: must be host:port, [ipv6]:port or :port with a port from 0 to 65535',
    ],
    [
      ["--log-level=verbose"],
      'invalid value "verbose" for --log-level: must be one of all, debug, info, warn, error, none',
    ],
    [
      ["--namespace=Kube_System"],
      'invalid value "Kube_System" for --namespace: must be a namespace name: at most 63 lowercase alphanumeric characters or "-", starting and ending with an alphanumeric character',
    ],
    [["--emitter=yes"], 'invalid value "yes" for --emitter: must be true or false'],
    [["--reflector="], 'invalid value "" for --reflector: must be true or false'],
    [
      ["--reflector.endpoints=on"],
      'invalid value "on" for --reflector.endpoints: must be true or false',
    ],
    [
      ["--reflector.create-namespaces=no"],
      'invalid value "no" for --reflector.create-namespaces: must be true or false',
    ],
    [["--version=maybe"], 'invalid value "maybe" for --version: must be true or false'],
    [
      ["--emitter.selector=a in"],
      'invalid value "a in" for --emitter.selector: must be a label selector: expected "(" at position 5',
    ],
    [
      ["--reflector.selector=a=b=c"],
      'invalid value "a=b=c" for --reflector.selector: must be a label selector: expected "," or the end at position 4, found "="',
    ],
    [
      ["--emitter.bind-address=localhost"],
      'invalid value "localhost" for --emitter.bind-address: must be an IPv4 or IPv6 address',
    ],
    [
      ["--emitter.max-connections=0"],
      'invalid value "0" for --emitter.max-connections: must be an integer from 1 to 1000000',
    ],
    [
      ["--listen-max-connections=many"],
      'invalid value "many" for --listen-max-connections: must be an integer from 1 to 1000000',
    ],
    [
      ["--emitter.request-header-timeout=0s"],
      'invalid value "0s" for --emitter.request-header-timeout: must be a positive duration such as 15s, 1m30s or 500ms',
    ],
    [
      ["--listen-request-header-timeout=30"],
      'invalid value "30" for --listen-request-header-timeout: must be a positive duration such as 15s, 1m30s or 500ms',
    ],
    [
      ["--reflector.workers=0"],
      'invalid value "0" for --reflector.workers: must be an integer from 1 to 1000',
    ],
    [
      ["--reflector.workers=1.5"],
      'invalid value "1.5" for --reflector.workers: must be an integer from 1 to 1000',
    ],
    [
      ["--reflector.source-max-list-pages=0"],
      'invalid value "0" for --reflector.source-max-list-pages: must be an integer from 1 to 1000000',
    ],
    [
      ["--reflector.source-max-list-bytes=4MB"],
      'invalid value "4MB" for --reflector.source-max-list-bytes: must be a size from 1 byte to 64Gi, in bytes or with Ki, Mi or Gi',
    ],
    [
      ["--reflector.source-max-event-bytes=0Ki"],
      'invalid value "0Ki" for --reflector.source-max-event-bytes: must be a size from 1 byte to 64Gi, in bytes or with Ki, Mi or Gi',
    ],
    [
      ["--reflector.source-max-objects=-1"],
      'invalid value "-1" for --reflector.source-max-objects: must be an integer from 1 to 100000000',
    ],
    [
      ["--reflector.source-api=http://a,b:80"],
      'invalid value "b:80" for --reflector.source-api: its scheme must be http or https',
    ],
    [
      ["--reflector.source-api=emitter"],
      'invalid value "emitter" for --reflector.source-api: it is not an absolute URL',
    ],
    [
      ["--reflector.source-api=http://u:p@a"],
      'invalid value "http://u:p@a" for --reflector.source-api: it must not carry a query, fragment or user info',
    ],
    [
      ["--reflector.source-kubeconfig=b=/x", "--reflector.source-kubeconfig=b=/y"],
      'invalid value "b=/y" for --reflector.source-kubeconfig: source name "b" is already used by "b=/x"',
    ],
    [
      ["--emitter=false", "--reflector=false"],
      "--emitter=false and --reflector=false leave nothing to run: enable at least one",
    ],
    [
      ["--emitter.insecure-port=0", "--emitter.secure-port=0"],
      "--emitter.insecure-port=0 and --emitter.secure-port=0 leave the Emitter nothing to listen on: turn a port on or pass --emitter=false",
    ],
    [
      ["--emitter.tls-cert-file=/c.pem"],
      "--emitter.tls-cert-file and --emitter.tls-private-key-file must be given together: only --emitter.tls-cert-file is set",
    ],
    [
      ["--emitter.tls-private-key-file=/k"],
      "--emitter.tls-cert-file and --emitter.tls-private-key-file must be given together: only --emitter.tls-private-key-file is set",
    ],
    [
      ["--reflector", "false"],
      'unexpected argument "false": service-reflector takes flags only, and a boolean flag takes its value as --flag=false',
    ],
    [
      ["--", "--emitter"],
      'unexpected argument "--emitter": service-reflector takes flags only, and a boolean flag takes its value as --flag=false',
    ],
    [["--emiter"], 'unknown flag "--emiter" (did you mean --emitter?)'],
    [["--emitter.port=8080"], 'unknown flag "--emitter.port"'],
    [
      ["--leader-elect", "--leader-elect-lease-duration=15"],
      'invalid value "15" for --leader-elect-lease-duration: must be a positive duration such as 15s, 1m30s or 500ms',
    ],
    [
      ["--reflector.name-template={source}"],
      'invalid value "{source}" for --reflector.name-template: must be a name template: it must hold {name} once',
    ],
    [
      ["--kubeconfig==/etc/kube/config"],
      'invalid value "=/etc/kube/config" for --kubeconfig: must not begin with "=" (--kubeconfig==VALUE has one "=" too many): write --kubeconfig=VALUE',
    ],
    [
      ["--reflector.source-api", "http://a:8080", "--reflector.source-api==http://b:8080"],
      'invalid value "=http://b:8080" for --reflector.source-api: must not begin with "=" (--reflector.source-api==VALUE has one "=" too many): write --reflector.source-api=VALUE',
    ],
    [
      ["--reflector.remove-grace=0"],
      'invalid value "0" for --reflector.remove-grace: must be a positive duration such as 15s, 1m30s or 500ms',
    ],
    [
      ["--reflector.stale-action=drop"],
      'invalid value "drop" for --reflector.stale-action: must be one of not-ready, delete',
    ],
    [
      ["--reflector.cluster-id=East_1"],
      'invalid value "East_1" for --reflector.cluster-id: must be a cluster id: at most 63 lowercase alphanumeric characters or "-", starting and ending with an alphanumeric character',
    ],
    [
      ["--reflector.api=kep-1645"],
      'invalid value "kep-1645" for --reflector.api: must be one of mirror, mcs',
    ],
    [
      ["--reflector.resync-period=0"],
      'invalid value "0" for --reflector.resync-period: must be a positive duration such as 15s, 1m30s or 500ms',
    ],
    [
      ["--leader-elect", "--leader-elect-retry-period=-2s"],
      'invalid value "-2s" for --leader-elect-retry-period: must be a positive duration such as 15s, 1m30s or 500ms',
    ],
    [
      ["--leader-elect", "--leader-elect-renew-deadline=20s"],
      "--leader-elect-lease-duration (15s) must be longer than --leader-elect-renew-deadline (20s)",
    ],
    [
      ["--leader-elect", "--leader-elect-retry-period=9s"],
      "--leader-elect-renew-deadline (10s) must be longer than 1.2 x --leader-elect-retry-period (9s)",
    ],
    [
      ["--leader-elect", "--leader-elect-resource-name=Reflector"],
      'invalid value "Reflector" for --leader-elect-resource-name: must be an object name: lowercase alphanumeric characters, "-" or ".", starting and ending with an alphanumeric character',
    ],
    [
      ["--leader-elect", "--leader-elect-resource-namespace=a.b"],
      'invalid value "a.b" for --leader-elect-resource-namespace: must be a namespace name: at most 63 lowercase alphanumeric characters or "-", starting and ending with an alphanumeric character',
    ],
    [
      ["--leader-elect", "--reflector=false"],
      "--leader-elect decides which replica runs the Reflector, and --reflector=false runs none: drop one of them",
    ],
    [["-k"], 'unknown flag "-k"'],
    [["--kubeconfig"], "flag --kubeconfig needs a value"],
    [
      ["--listen", "--reflector.source-api"],
      'invalid value "--reflector.source-api" for --listen: must be host:port, [ipv6]:port or :port with a port from 0 to 65535',
    ],
  ];
  for (const [argv, message] of cases) {
    deepEqual(exit(argv), {
      kind: "exit",
      code: 2,
      stream: "stderr",
      output: `service-reflector: ${message}`,
    }, JSON.stringify(argv));
  }
});

Deno.test("parseFlags() reads leader election as kube-controller-manager's flags", () => {
  deepEqual(config(["--leader-elect"]).leaderElection, {
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    name: "service-reflector",
  });
  deepEqual(
    config([
      "--leader-elect=true",
      "--leader-elect-lease-duration=1m30s",
      "--leader-elect-renew-deadline",
      "1m",
      "--leader-elect-retry-period=500ms",
      "--leader-elect-resource-name=reflector.lock",
      "--leader-elect-resource-namespace=ops",
    ]).leaderElection,
    {
      leaseDurationMs: 90_000,
      renewDeadlineMs: 60_000,
      retryPeriodMs: 500,
      name: "reflector.lock",
      namespace: "ops",
    },
  );
  // Off, the other values are not even checked, as with the original's flags.
  equal(
    config(["--leader-elect=false", "--leader-elect-retry-period=1d"]).leaderElection,
    undefined,
  );
});

Deno.test("parseFlags() accepts the Emitter's ports both off when the Emitter is off", () => {
  const parsed = config([
    "--emitter=false",
    "--emitter.insecure-port=0",
    "--emitter.secure-port=0",
  ]);
  deepEqual([parsed.emitter.enabled, parsed.reflector.enabled], [false, true]);
});

Deno.test("parseFlags() prints --help on stdout, documenting every flag and its default", () => {
  for (const argv of [["--help"], ["-h"], ["--help=true"], ["--listen=bad", "--help"]]) {
    const { code, stream, output } = exit(argv);
    deepEqual([code, stream], [0, "stdout"]);
    match(output, /^Usage: service-reflector \[flags\]\n/);
    ok(!output.endsWith("\n"));
    for (
      const flag of [
        "--kubeconfig <path>",
        "--listen <address>",
        "--log-level <level>",
        "--namespace <namespace>",
        "--version",
        "-h, --help",
        "--emitter[=<bool>]",
        "--emitter.selector <selector>",
        "--emitter.insecure-port <port>",
        "--emitter.secure-port <port>",
        "--emitter.bind-address <ip>",
        "--emitter.max-connections <n>",
        "--emitter.request-header-timeout <duration>",
        "--listen-max-connections <n>",
        "--listen-request-header-timeout <duration>",
        "--emitter.tls-cert-file <path>",
        "--emitter.tls-private-key-file <path>",
        "--emitter.cert-dir <directory>",
        "--emitter.token-file <path>",
        "--emitter.client-ca <path>",
        "--reflector[=<bool>]",
        "--reflector.source-api <urls>",
        "--reflector.source-kubeconfig <[name=]path>",
        "--reflector.selector <selector>",
        "--reflector.workers <n>",
        "--reflector.endpoints[=<bool>]",
        "--reflector.create-namespaces[=<bool>]",
        "--reflector.source-max-list-pages <n>",
        "--reflector.source-max-list-bytes <size>",
        "--reflector.source-max-event-bytes <size>",
        "--reflector.source-max-objects <n>",
        "--leader-elect[=<bool>]",
        "--leader-elect-lease-duration <duration>",
        "--leader-elect-renew-deadline <duration>",
        "--leader-elect-retry-period <duration>",
        "--leader-elect-resource-name <name>",
        "--leader-elect-resource-namespace <namespace>",
      ]
    ) {
      ok(output.includes(`  ${flag} `), `--help names ${flag}`);
    }
    for (
      const shown of [
        ':9090"',
        '"info"',
        "(default: 8080)",
        "(default: 6443)",
        '"0.0.0.0"',
        "(default: 4)",
        '(default: "service-reflector")',
        "(default: 1000)",
        '(default: "256Mi")',
        '(default: "4Mi")',
        "(default: 100000)",
      ]
    ) {
      ok(output.includes(shown), `--help shows ${shown}`);
    }
    match(
      output,
      /\(default: true\)[^]*\(default: true\)[^]*\(default:\s+false\)[^]*default: true/,
    );
    match(output, /Each source of the Reflector gets a name/);
    match(output, /\(default:\s+15s\)[^]*\(default:\s+10s\)[^]*\(default:\s+2s\)/);
  }
});

Deno.test("parseFlags() prints the version on stdout for --version, before checking values", () => {
  for (const argv of [["--version"], ["--version=true"], ["--listen=bad", "--version"]]) {
    deepEqual(exit(argv), { kind: "exit", code: 0, stream: "stdout", output: version });
  }
  deepEqual(config(["--version=false"]), defaults);
});
