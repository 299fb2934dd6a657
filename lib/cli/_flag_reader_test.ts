import { deepEqual, equal, throws } from "node:assert/strict";
import { FlagReader } from "./_flag_reader.ts";
import { FlagValueError, parsePort } from "./_values.ts";

const read = new FlagReader(
  new Map<string, string | string[]>([
    ["--listen", ":9090"],
    ["--port", "80"],
    ["--empty", ""],
    ["--source", ["http://a", "http://b,http://c"]],
  ]),
);

Deno.test("FlagReader.text() reads a value, joins a repeated one and reads an absent one as empty", () => {
  deepEqual(
    [read.text("--listen"), read.text("--source"), read.text("--absent")],
    [":9090", "http://a,http://b,http://c", ""],
  );
});

Deno.test("FlagReader.list() keeps every value of a repeatable flag, in order", () => {
  deepEqual(read.list("--source"), ["http://a", "http://b,http://c"]);
  deepEqual(read.list("--listen"), [":9090"]);
  deepEqual(read.list("--absent"), []);
});

Deno.test("FlagReader.check() converts the value and lets the check's error through", () => {
  equal(read.check("--port", parsePort), 80);
  throws(() => read.check("--listen", parsePort), {
    name: "FlagValueError",
    message: 'invalid value ":9090" for --listen: must be a port from 0 to 65535',
  });
});

Deno.test("FlagReader.optional() leaves an empty or absent flag out and converts the rest", () => {
  deepEqual(read.optional("listen", "--listen"), { listen: ":9090" });
  deepEqual(read.optional("port", "--port", parsePort), { port: 80 });
  deepEqual(read.optional("empty", "--empty", parsePort), {});
  deepEqual(read.optional("absent", "--absent"), {});
  throws(() => read.optional("listen", "--listen", parsePort), FlagValueError);
});

Deno.test("FlagReader reads a value beginning with = as the typo of --flag==value, naming the flag", () => {
  const typo = new FlagReader(
    new Map<string, string | string[]>([
      ["--kubeconfig", "=/etc/kubeconfig"],
      ["--source", ["http://a", "=http://b"]],
    ]),
  );
  throws(() => typo.text("--kubeconfig"), {
    name: "FlagValueError",
    message:
      'invalid value "=/etc/kubeconfig" for --kubeconfig: must not begin with "=" (--kubeconfig==VALUE has one "=" too many): write --kubeconfig=VALUE',
  });
  throws(() => typo.optional("kubeconfig", "--kubeconfig"), FlagValueError);
  throws(() => typo.list("--source"), {
    name: "FlagValueError",
    message:
      'invalid value "=http://b" for --source: must not begin with "=" (--source==VALUE has one "=" too many): write --source=VALUE',
  });
  equal(read.text("--empty"), "", "an empty value is no typo");
});
