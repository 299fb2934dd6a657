import { deepEqual, equal, throws } from "node:assert/strict";
import { isLabelValue, type KubeconfigSource, parseSources } from "./_sources.ts";
import { located } from "./_cli_fixtures.ts";
import { FlagValueError } from "./_values.ts";

const names = (apis: string[], kubeconfigs: string[] = []) =>
  parseSources(apis, kubeconfigs).map((source) => source.name);

Deno.test("parseSources() names a URL source after its host name", () => {
  const cases: [url: string, name: string][] = [
    ["http://emitter.cluster-b.svc:8080", "emitter-cluster-b-svc"],
    ["https://API.Example.COM", "api-example-com"],
    ["http://10.4.0.1:8080/prefix", "10-4-0-1"],
    ["http://[fd00::1]:8080", "fd00--1"],
    ["http://[::1]:8080", "1"],
    ["http://under_score.example", "under_score-example"],
    [`http://${"a".repeat(60)}.b.c`, `${"a".repeat(60)}-b`],
    [`http://${"a".repeat(62)}.b`, "a".repeat(62)],
  ];
  for (const [url, name] of cases) {
    deepEqual(located(parseSources([url], [])), [{ name, url }], url);
    equal(isLabelValue(name), true, name);
  }
});

Deno.test("parseSources() names a kubeconfig source NAME= or after its file", () => {
  const cases: [value: string, name: string, path: string][] = [
    ["/etc/clusters/cluster-b.yaml", "cluster-b", "/etc/clusters/cluster-b.yaml"],
    ["/root/.kube/config", "config", "/root/.kube/config"],
    ["relative/east.prod.kubeconfig", "east.prod", "relative/east.prod.kubeconfig"],
    ["/x/.hidden", "hidden", "/x/.hidden"],
    ["/x/My Cluster!.yaml", "My-Cluster", "/x/My Cluster!.yaml"],
    ["/x/---.yaml", "source", "/x/---.yaml"],
    ["west=/etc/kubeconfig", "west", "/etc/kubeconfig"],
    ["West_1=relative/path=odd.yaml", "West_1", "relative/path=odd.yaml"],
    ["./dir=x/b.yaml", "b", "./dir=x/b.yaml"],
    ["=/x/c.yaml", "c", "=/x/c.yaml"],
  ];
  for (const [value, name, kubeconfig] of cases) {
    deepEqual(located(parseSources([], [value])), [{ name, kubeconfig }], value);
  }
});

Deno.test("parseSources() takes NAME=URL, and a name prefix never holds / or :", () => {
  deepEqual(located(parseSources(["east=http://10.0.0.1:8080,west=https://w.example"], [])), [
    { name: "east", url: "http://10.0.0.1:8080" },
    { name: "west", url: "https://w.example" },
  ]);
  // The same URL under two names is two sources; the same pair twice is one.
  deepEqual(names(["a=http://e:1", "b=http://e:1", "a=http://e:1/"]), ["a", "b"]);
  // Named sources keep their names; derived ones move out of their way.
  deepEqual(names(["http://east:1", "east=http://other:1"]), ["east-2", "east"]);
});

Deno.test("parseSources() reads a kubeconfig through the context after its last #", () => {
  const cases: [value: string, source: KubeconfigSource][] = [
    ["east=/etc/clusters.yaml#east-admin", {
      name: "east",
      kubeconfig: "/etc/clusters.yaml",
      context: "east-admin",
    }],
    ["/etc/a#b.yaml#ctx", { name: "a-b", kubeconfig: "/etc/a#b.yaml", context: "ctx" }],
    ["/etc/b.yaml", { name: "b", kubeconfig: "/etc/b.yaml" }],
  ];
  for (const [value, source] of cases) {
    deepEqual(located(parseSources([], [value])), [source], value);
  }
  for (const value of ["/etc/b.yaml#", "east=#ctx"]) {
    throws(() => parseSources([], [value]), {
      name: "FlagValueError",
      message:
        `invalid value "${value}" for --reflector.source-kubeconfig: must be PATH#CONTEXT with a PATH and a CONTEXT after the last #`,
    });
  }
});

Deno.test("parseSources() suffixes colliding derived names in order, URL sources first", () => {
  deepEqual(
    names(["http://a:1", "http://a:2,http://A:3/x"], ["/k/a.yaml", "/other/a.yml"]),
    ["a", "a-2", "a-3", "a-4", "a-5"],
  );
});

Deno.test("parseSources() keeps explicit names and moves derived ones out of their way", () => {
  deepEqual(names(["http://b", "http://b.c"], ["b=/k/1", "/k/b-2.yaml"]), [
    "b-3",
    "b-c",
    "b",
    "b-2",
  ]);
});

Deno.test("parseSources() keeps a suffixed long name within 63 characters", () => {
  const host = "h".repeat(63);
  const [first, second, third] = names([
    `http://${host}:1`,
    `http://${host}:2`,
    `http://${host}:3`,
  ]);
  deepEqual([first, second, third], [host, `${"h".repeat(61)}-2`, `${"h".repeat(61)}-3`]);
});

Deno.test("parseSources() skips empty values and items and counts a repeat once", () => {
  const sources = parseSources(["", " , ", "http://a/,http://a", " http://b "], [
    "",
    "/k/c",
    "/k/c",
  ]);
  deepEqual(located(sources), [
    { name: "a", url: "http://a/" },
    { name: "b", url: "http://b" },
    { name: "c", kubeconfig: "/k/c" },
  ]);
});

Deno.test("parseSources() rejects bad URLs and kubeconfig values naming the flag", () => {
  const cases: [apis: string[], kubeconfigs: string[], message: string][] = [
    [
      ["ftp://a"],
      [],
      'invalid value "ftp://a" for --reflector.source-api: its scheme must be http or https',
    ],
    [
      ["http://a,nope"],
      [],
      'invalid value "nope" for --reflector.source-api: it is not an absolute URL',
    ],
    [
      ["http://a/?q=1"],
      [],
      'invalid value "http://a/?q=1" for --reflector.source-api: it must not carry a query, fragment or user info',
    ],
    [
      [],
      ["bad name=/x"],
      'invalid value "bad name=/x" for --reflector.source-kubeconfig: must be PATH or NAME=PATH with NAME a label value: at most 63 alphanumeric characters, "-", "_" or ".", starting and ending with an alphanumeric character',
    ],
    [
      [],
      ["b="],
      'invalid value "b=" for --reflector.source-kubeconfig: must be PATH or NAME=PATH with a PATH',
    ],
    [
      [],
      ["b=/x", "b=/y"],
      'invalid value "b=/y" for --reflector.source-kubeconfig: source name "b" is already used by "b=/x"',
    ],
  ];
  for (const [apis, kubeconfigs, message] of cases) {
    throws(() => parseSources(apis, kubeconfigs), (error: unknown) => {
      equal(error instanceof FlagValueError, true);
      equal((error as Error).message, message);
      return true;
    });
  }
});
