/**
 * The commander definition of service-reflector's flags and help, plus the
 * two adaptations to Go's flag syntax that commander lacks: booleans set by
 * `--flag` or `--flag=<bool>` only, and errors reworded as one line.
 *
 * @module
 */

import { Command, type CommanderError, Option } from "@commander-js/extra-typings";
import { defaultSourceLimits } from "../reflector/source_limits.ts";
import { version } from "../version.ts";
import { parseBool } from "./_values.ts";

/** The program name, first word of every error. */
export const name = "service-reflector";
const collect = (value: string, previous: string[] | undefined) => [...previous ?? [], value];

const afterHelp = `
Boolean flags are set by --flag or --flag=true|false (also 1, 0, t, f), never by --flag false.

Each source of the Reflector gets a name, a label value on every mirror made from it. A
--reflector.source-api of NAME=URL or a --reflector.source-kubeconfig of NAME=PATH is named NAME
(NAME holds no "/" or ":"). A kubeconfig is read through its current context, or through
CONTEXT when given as PATH#CONTEXT (split at the last "#"). Otherwise a source-api URL is named
after its host name, lower-cased, with "." and ":" replaced by "-" (http://emitter.b.svc:8080
is emitter-b-svc), and a kubeconfig after its file name without extension (/etc/clusters/b.yaml
is b), cut to 63 characters. A derived name already taken, by a NAME= or an earlier source (URL
sources first), gets the first free suffix -2, -3, ...; pass NAME=URL or NAME=PATH to pin a name.

The sources file lists sources as "sources:", each item with a name (a label value not used by a
flag's source) and either a url (with optional caFile, caData as base64 PEM, and tokenFile) or a
kubeconfig (with an optional context), and an optional selector (default --reflector.selector)
and namespace (default --namespace, which it must then equal). Relative paths are read from the
file's directory; unknown keys are errors. A changed file is applied once two reads 1s apart
agree (a truncate-then-write is one change). A source added starts, a source removed stops (and
goes after --reflector.remove-grace), a source changed restarts; the others go on untouched. Only
a regular file (symlinks followed) of at most 1 MiB, read within 5s, is used.

Exit codes: 0 after --help or --version, 2 for a bad flag; errors go to stderr.`;

/** One flag: commander's flags string, help, and default (omitted: empty). */
interface FlagSpec {
  flags: string;
  help: string;
  default?: string;
  /** Every value is kept, in order. */
  repeatable?: true;
}

const flagGroups: [heading: string, flags: FlagSpec[]][] = [
  ["Flags:", [
    {
      flags: "--kubeconfig <path>",
      help: "Kubeconfig of this cluster, where mirrors are written and Services emitted from. " +
        "Empty: the in-cluster config in a Pod, else $KUBECONFIG or ~/.kube/config, as kubectl does.",
    },
    {
      flags: "--listen <address>",
      help: "Address serving health and Prometheus metrics: host:port, [ipv6]:port or :port " +
        "(every IPv4 interface).",
      default: ":9090",
    },
    {
      flags: "--listen-max-connections <n>",
      help: "Most connections open at once on --listen, from 1 to 1000000; more are closed as " +
        "soon as accepted.",
      default: "100",
    },
    {
      flags: "--listen-request-header-timeout <duration>",
      help: "How long a --listen connection may wait for a request head (after it opens, or " +
        "idle after an answer) before it is closed.",
      default: "30s",
    },
    {
      flags: "--log-level <level>",
      help: "Log level: all, debug, info, warn, error or none.",
      default: "info",
    },
    {
      flags: "--namespace <namespace>",
      help: "The only namespace reflected and emitted; empty for all namespaces.",
    },
  ]],
  ["Emitter flags:", [
    {
      flags: "--emitter <bool>",
      help: "Run the Emitter, serving this cluster's Services to remote Reflectors.",
      default: "true",
    },
    {
      flags: "--emitter.selector <selector>",
      help:
        "Label selector on the Services emitted, e.g. app.kubernetes.io/name=foo; empty for all.",
    },
    {
      flags: "--emitter.insecure-port <port>",
      help: "HTTP port; 0 turns it off.",
      default: "8080",
    },
    { flags: "--emitter.secure-port <port>", help: "HTTPS port; 0 turns it off.", default: "6443" },
    {
      flags: "--emitter.bind-address <ip>",
      help: "IP address both ports listen on.",
      default: "0.0.0.0",
    },
    {
      flags: "--emitter.max-connections <n>",
      help: "Most connections open at once on each Emitter port, from 1 to 1000000; more are " +
        "closed as soon as accepted. Each watch holds one (HTTP/1.1).",
      default: "1000",
    },
    {
      flags: "--emitter.request-header-timeout <duration>",
      help: "How long an Emitter connection may wait for a request head or a TLS handshake " +
        "(after it opens, or idle after an answer) before it is closed; kube-apiserver's is 32s.",
      default: "30s",
    },
    {
      flags: "--emitter.tls-cert-file <path>",
      help: "PEM serving certificate chain for HTTPS, given with --emitter.tls-private-key-file; " +
        "without both, a self-signed certificate is used.",
    },
    { flags: "--emitter.tls-private-key-file <path>", help: "PEM private key of the certificate." },
    {
      flags: "--emitter.cert-dir <directory>",
      help: "Directory keeping the self-signed certificate and key across restarts; empty makes " +
        "a new pair at each start.",
    },
    {
      flags: "--emitter.token-file <path>",
      help: "File of accepted bearer tokens, one per line (or kube-apiserver's token CSV), " +
        "re-read when it changes; empty lets every request in.",
    },
    {
      flags: "--emitter.client-ca <path>",
      help: "PEM CA bundle that client certificates must chain to on HTTPS; empty asks for none.",
    },
  ]],
  ["Reflector flags:", [
    {
      flags: "--reflector <bool>",
      help: "Run the Reflector, mirroring the sources' Services into this cluster.",
      default: "true",
    },
    {
      flags: "--reflector.source-api <urls>",
      help: "Comma-separated http(s) URLs of Emitters or API servers to reflect from, each " +
        "URL or NAME=URL; repeatable. Empty values and items are skipped.",
      repeatable: true,
    },
    {
      flags: "--reflector.source-kubeconfig <[name=]path>",
      help: "Kubeconfig of a cluster to reflect from, through its current context, or " +
        "through CONTEXT as PATH#CONTEXT; repeatable.",
      repeatable: true,
    },
    {
      flags: "--reflector.sources-file <path>",
      help: "YAML file of more sources (see below), re-read when it changes, a mounted " +
        "ConfigMap's swap included; a file that does not load keeps the last good sources.",
    },
    {
      flags: "--reflector.remove-grace <duration>",
      help: "How long a source removed from the sources file keeps its mirrors and endpoints " +
        "as last read before they go; listed again within it, it is adopted in place (same " +
        "mirrors, UIDs and ClusterIPs). 5m outlasts a bad edit reverted by hand or by a GitOps " +
        "resync (Argo CD's is 3m) plus the kubelet's ConfigMap update (up to about 1m). " +
        "Empty: at once.",
      default: "5m",
    },
    {
      flags: "--reflector.name-template <template>",
      help: "Mirror names: {name} merges every source's Service of one name into one mirror; a " +
        "template with {source}, e.g. {name}-{source}, makes one mirror per source. A source " +
        "Service's annotation service-reflector.squat.ai/mirror=merged|per-source chooses for itself.",
      default: "{name}",
    },
    {
      flags: "--reflector.api <api>",
      help: "The dialect: mirror (a source exports the Services the selector picks, each " +
        "mirrored as a same-named Service) or mcs (the Multi-Cluster Services API: a source " +
        "exports the Services its ServiceExports name, narrowed by the selector, each imported " +
        "as a ServiceImport with a derived Service).",
      default: "mirror",
    },
    {
      flags: "--reflector.cluster-id <id>",
      help: "This cluster's id in the mcs dialect: the name of the source that is this cluster " +
        "itself. The conditions of this cluster's ServiceExports (Valid, Ready, Conflict) are " +
        "written from it, the one write to objects a user made. Empty: the value of the host's " +
        "ClusterProperty cluster.clusterset.k8s.io (KEP-2149), if it has one.",
    },
    {
      flags: "--reflector.selector <selector>",
      help: "Label selector on the source Services reflected; empty for all.",
    },
    {
      flags: "--reflector.workers <n>",
      help: "Services reconciled at once, from 1 to 1000.",
      default: "4",
    },
    {
      flags: "--reflector.endpoints <bool>",
      help: "Also write core v1 Endpoints (deprecated since Kubernetes 1.33) next to " +
        "EndpointSlices.",
      default: "false",
    },
    {
      flags: "--reflector.create-namespaces <bool>",
      help:
        "Create missing namespaces (marked as made by service-reflector); no namespace is ever " +
        "removed. When false, a mirror waits for its namespace and is written once it appears.",
      default: "true",
    },
    {
      flags: "--reflector.resync-period <duration>",
      help: "How often every mirror is compared with its sources again, to catch what no watch " +
        "event tells; a mirror that matches costs no write.",
      default: "10m",
    },
    {
      flags: "--reflector.stale-after <duration>",
      help: "Withdraw the endpoints of a source unreachable this long, counted from the loss of " +
        "contact (see --reflector.stale-action), until it answers again; its Services still " +
        "count, so mirrors stay. Empty: never.",
    },
    {
      flags: "--reflector.stale-action <action>",
      help: "What becomes of a stale source's endpoints: not-ready (kept, marked neither ready " +
        "nor serving) or delete.",
      default: "not-ready",
    },
    {
      flags: "--reflector.source-max-list-pages <n>",
      help: "Most pages one list of a source may take; past it the list fails and is retried, " +
        "and the source keeps what it had.",
      default: String(defaultSourceLimits.maxListPages),
    },
    {
      flags: "--reflector.source-max-list-bytes <size>",
      help: "Most bytes one list of a source may send, all pages together (bytes, or with Ki, " +
        "Mi, Gi); reading stops there.",
      default: `${defaultSourceLimits.maxListBytes / 1024 ** 2}Mi`,
    },
    {
      flags: "--reflector.source-max-event-bytes <size>",
      help: "Most bytes of one watch event of a source; a larger one fails the watch.",
      default: `${defaultSourceLimits.maxEventBytes / 1024 ** 2}Mi`,
    },
    {
      flags: "--reflector.source-max-objects <n>",
      help: "Most objects of each kind (Services, EndpointSlices, Endpoints) one source may hold.",
      default: String(defaultSourceLimits.maxObjects),
    },
  ]],
  ["Leader election flags (as kube-controller-manager's):", [
    {
      flags: "--leader-elect <bool>",
      help: "Run the Reflector only while holding a Lease, so that several replicas can run with " +
        "one writing; the Emitter serves on every replica.",
      default: "false",
    },
    {
      flags: "--leader-elect-lease-duration <duration>",
      help: "How long standby replicas wait after the last renewal before taking the Lease over.",
      default: "15s",
    },
    {
      flags: "--leader-elect-renew-deadline <duration>",
      help: "How long the leader keeps trying to renew before it stops the Reflector; shorter " +
        "than the lease duration.",
      default: "10s",
    },
    {
      flags: "--leader-elect-retry-period <duration>",
      help: "Pause between attempts to acquire or renew the Lease.",
      default: "2s",
    },
    {
      flags: "--leader-elect-resource-name <name>",
      help: "Name of the Lease.",
      default: "service-reflector",
    },
    {
      flags: "--leader-elect-resource-namespace <namespace>",
      help: "Namespace of the Lease; empty: the Pod's own namespace in a Pod, else default.",
    },
  ]],
];

/** Long names of the boolean flags, set Go's way. */
const boolFlags = new Set(
  flagGroups.flatMap(([, specs]) => specs.map((spec) => spec.flags))
    .filter((flags) => flags.endsWith(" <bool>")).map((flags) => flags.split(" ")[0]),
);
/** Long names of the flags that take a value, which may follow after a space. */
const valueFlags = new Set(
  flagGroups.flatMap(([, specs]) => specs.map((spec) => spec.flags))
    .filter((flags) => !flags.endsWith(" <bool>")).map((flags) => flags.split(" ")[0]),
);

/** A default as --help shows it: numbers, durations and booleans bare, other text quoted. */
const shown = (value: string) =>
  /^([0-9]+|true|false|([0-9]+(h|m|s|ms))+)$/.test(value) ? value : JSON.stringify(value);

/** A fresh command with every flag, its default and its help; it exits by throwing. */
export function program(): Command {
  const command = new Command(name)
    .description(
      "Mirrors Services and their endpoints from source clusters into this cluster (Reflector)\n" +
        "and serves this cluster's Services to remote Reflectors (Emitter).",
    )
    .usage("[flags]")
    .optionsGroup("Flags:")
    .helpOption("-h, --help", "Print this help and exit.")
    .addHelpText("after", afterHelp)
    .allowExcessArguments(true)
    .configureHelp({
      helpWidth: 100,
      optionTerm: (option) => option.flags.replace(/ <bool>$/, "[=<bool>]"),
    });
  for (const [heading, specs] of flagGroups) {
    for (const spec of specs) {
      const option = new Option(spec.flags, spec.help).helpGroup(heading);
      if (spec.repeatable) option.argParser(collect);
      if (spec.default !== undefined) option.default(spec.default, shown(spec.default));
      command.addOption(option);
    }
  }
  command.version(version, "--version", "Print the version and exit.");
  return command;
}

/** The value of every flag by long name: a string, or a list for a repeatable flag. */
export function flagValues(command: Command): Map<string, string | string[]> {
  const values = new Map<string, string | string[]>();
  for (const option of command.options) {
    const value: unknown = command.getOptionValue(option.attributeName());
    if (option.long && (typeof value === "string" || Array.isArray(value))) {
      values.set(option.long, value);
    }
  }
  return values;
}

/**
 * Rewrites Go-style booleans for commander: a bare boolean flag becomes
 * `--flag=true`, and `--help=<bool>` or `--version=<bool>` becomes the bare
 * flag or nothing. The
 * value after a space-form flag is copied untouched, as pflag would take it.
 */
export function normalize(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] ?? "";
    if (arg === "--") {
      out.push(...argv.slice(index));
      break;
    }
    if (boolFlags.has(arg)) {
      out.push(`${arg}=true`);
    } else if (/^--(help|version)=/.test(arg)) {
      const [flag = "", value = ""] = arg.split(/=(.*)/s);
      if (parseBool(flag, value)) out.push(flag);
    } else {
      out.push(arg);
      const value = argv[index + 1];
      if (valueFlags.has(arg) && value !== undefined) out.push(value), index++;
    }
  }
  return out;
}

/** Commander's error message as one line naming the flag. */
export function commanderMessage(error: CommanderError): string {
  const unknown = /unknown option '([^'=]*)[^']*'(?:\s*\(Did you mean (\S+)\?\))?/.exec(
    error.message,
  );
  if (unknown) {
    const hint = unknown[2] ? ` (did you mean ${unknown[2]}?)` : "";
    return `unknown flag ${JSON.stringify(unknown[1])}${hint}`;
  }
  const missing = /option '(\S+)[^']*' argument missing/.exec(error.message);
  if (missing) return `flag ${missing[1]} needs a value`;
  return error.message.replace(/^error: /, "").replace(/\s*\n\s*/g, " ");
}
