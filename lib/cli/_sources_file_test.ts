import { deepStrictEqual, throws } from "node:assert/strict";
import { parseSourcesFile, SourcesFileError } from "./_sources_file.ts";

const path = "/etc/service-reflector/sources.yaml";
const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

Deno.test("parseSourcesFile() reads URL and kubeconfig sources with their optional fields", () => {
  const text = `
sources:
  - name: east
    url: https://emitter.east:6443
    caFile: ca.crt
    caData: ${btoa(pem)}
    tokenFile: /etc/east/token
    selector: "tier in (web), export"
    namespace: shop
  - name: north
    kubeconfig: north.yaml
    context: north-admin
`;
  deepStrictEqual(parseSourcesFile(path, text), [
    {
      name: "east",
      url: "https://emitter.east:6443",
      caFile: "ca.crt",
      tokenFile: "/etc/east/token",
      caData: pem,
      selector: "export,tier in (web)",
      namespace: "shop",
    },
    { name: "north", kubeconfig: "north.yaml", context: "north-admin" },
  ]);
});

Deno.test("parseSourcesFile() reads an empty file, a null list and an empty list as no sources", () => {
  deepStrictEqual(parseSourcesFile(path, ""), []);
  deepStrictEqual(parseSourcesFile(path, "# none yet\n"), []);
  deepStrictEqual(parseSourcesFile(path, "sources:\n"), []);
  deepStrictEqual(parseSourcesFile(path, "sources: []\n"), []);
});

Deno.test("parseSourcesFile() names the file, the entry and the value of each mistake", () => {
  const cases: [string, string][] = [
    ["sources: [", "it is not YAML: "],
    ["- name: a", "it must be a mapping with a sources list"],
    ["source: []", 'unknown key "source": only sources is read'],
    ["sources: {}", "sources must be a list"],
    ["sources: [east]", "sources[0] must be a mapping with a name and a url or kubeconfig"],
    ["sources: [{url: 'http://a'}]", "sources[0].name is missing"],
    [
      "sources: [{name: 7, url: 'http://a'}]",
      'sources[0].name must be a non-empty string: current value is "7"',
    ],
    ["sources: [{name: -a, url: 'http://a'}]", "sources[0].name must be a label value"],
    ["sources: [{name: a}]", 'sources[0] ("a") must have exactly one of url and kubeconfig'],
    ["sources: [{name: a, url: 'http://a', kubeconfig: k}]", "exactly one of url and kubeconfig"],
    [
      "sources: [{name: a, url: 'ftp://a'}]",
      'sources[0].url cannot be used as its scheme must be http or https: current value is "ftp://a"',
    ],
    [
      "sources: [{name: a, url: 'http://a', Selector: x}]",
      "sources[0].Selector is not a source field: use name, url,",
    ],
    ["sources: [{name: a, kubeconfig: k, tokenFile: t}]", "sources[0].tokenFile needs a url"],
    ["sources: [{name: a, url: 'http://a', context: c}]", "sources[0].context needs a kubeconfig"],
    [
      "sources: [{name: a, url: 'http://a', selector: 'a in'}]",
      "sources[0].selector must be a label selector: ",
    ],
    [
      "sources: [{name: a, url: 'http://a', namespace: Shop}]",
      'sources[0].namespace must be a namespace name: current value is "Shop"',
    ],
    [
      "sources: [{name: a, url: 'http://a', caData: '%%%'}]",
      "sources[0].caData must be base64 of a PEM CA bundle: it does not decode",
    ],
    [
      `sources: [{name: a, url: 'http://a', caData: ${btoa("hello")}}]`,
      "it holds no BEGIN CERTIFICATE block",
    ],
    [
      "sources: [{name: a, url: 'http://a'}, {name: a, kubeconfig: k}]",
      'sources[1].name "a" is already used by sources[0]',
    ],
    ["sources: [{name: a, url: 'http://a', name: b}]", "it is not YAML: "],
  ];
  for (const [text, problem] of cases) {
    throws(() => parseSourcesFile(path, text), (error: unknown) => {
      if (!(error instanceof SourcesFileError)) return false;
      const prefix = `Cannot use sources file ${path}: `;
      if (!error.message.startsWith(prefix) || !error.message.includes(problem)) {
        throw new Error(`${text}: ${error.message}`);
      }
      return error.path === path;
    });
  }
});
