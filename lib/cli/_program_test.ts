import { deepEqual, equal, throws } from "node:assert/strict";
import { CommanderError } from "@commander-js/extra-typings";
import { commanderMessage, normalize } from "./_program.ts";
import { FlagValueError } from "./_values.ts";

Deno.test("normalize() gives bare booleans the value true and leaves the rest alone", () => {
  const cases: [argv: string[], want: string[]][] = [
    [["--emitter", "--reflector.endpoints"], ["--emitter=true", "--reflector.endpoints=true"]],
    [["--emitter=false", "--listen", ":1"], ["--emitter=false", "--listen", ":1"]],
    [["--reflector", "false"], ["--reflector=true", "false"]],
    [["--kubeconfig", "--emitter"], ["--kubeconfig", "--emitter"]],
    [["--unknown", "--emitter"], ["--unknown", "--emitter=true"]],
    [["--", "--emitter"], ["--", "--emitter"]],
    [["--version=true", "--help=0"], ["--version"]],
    [["--namespace"], ["--namespace"]],
  ];
  for (const [argv, want] of cases) deepEqual(normalize(argv), want, JSON.stringify(argv));
});

Deno.test("normalize() rejects a --help or --version value that is not a boolean", () => {
  throws(() => normalize(["--help=please"]), FlagValueError);
});

Deno.test("commanderMessage() makes commander's errors one line naming the flag", () => {
  const cases: [message: string, want: string][] = [
    [
      "error: unknown option '--emiter'\n(Did you mean --emitter?)",
      'unknown flag "--emiter" (did you mean --emitter?)',
    ],
    ["error: unknown option '--x=1'", 'unknown flag "--x"'],
    ["error: option '--listen <address>' argument missing", "flag --listen needs a value"],
    ["error: something else\n  entirely", "something else entirely"],
  ];
  for (const [message, want] of cases) {
    equal(commanderMessage(new CommanderError(1, "commander.x", message)), want);
  }
});
