import { deepEqual, equal, ok } from "node:assert/strict";
import { parseFlags } from "./flags.ts";
import {
  connectionCaps,
  descriptorWarning,
  openFilesLimit,
  ownOpenFilesLimit,
  reservedDescriptors,
} from "./_descriptor_budget.ts";

const limits = (soft: string) =>
  "Limit                     Soft Limit           Hard Limit           Units     \n" +
  "Max processes             95000                95000                processes \n" +
  `Max open files            ${soft}                 524288               files     \n`;

Deno.test("openFilesLimit() reads the soft limit, and nothing from unlimited or missing lines", () => {
  equal(openFilesLimit(limits("1024")), 1024);
  equal(openFilesLimit(limits("unlimited")), undefined);
  equal(openFilesLimit("Max processes 10 10 processes\n"), undefined);
  // This process's own, as the command reads it at start-up.
  ok((ownOpenFilesLimit() ?? 0) > 0);
});

function config(args: string[]) {
  const parsed = parseFlags(["--kubeconfig=/k", "--reflector.source-kubeconfig=/s", ...args], {
    env: () => undefined,
  });
  if (parsed.kind !== "run") throw new Error(`flags refused: ${parsed.output}`);
  return parsed.config;
}

Deno.test("connectionCaps() counts the cap once per Emitter port that listens, and --listen's", () => {
  deepEqual(connectionCaps(config([])), [
    { flag: "--emitter.max-connections", connections: 2000 },
    { flag: "--listen-max-connections", connections: 100 },
  ]);
  deepEqual(connectionCaps(config(["--emitter.secure-port=0", "--emitter.max-connections=10"])), [
    { flag: "--emitter.max-connections", connections: 10 },
    { flag: "--listen-max-connections", connections: 100 },
  ]);
  deepEqual(connectionCaps(config(["--emitter=false"])), [
    { flag: "--listen-max-connections", connections: 100 },
  ]);
});

Deno.test("descriptorWarning() warns once the caps and the reserve pass the limit", () => {
  const caps = [{ flag: "--emitter.max-connections", connections: 2000 }, {
    flag: "--listen-max-connections",
    connections: 100,
  }];
  equal(descriptorWarning(caps, 2100 + reservedDescriptors), undefined);
  equal(descriptorWarning(caps, undefined), undefined);
  const warning = descriptorWarning(caps, 1024);
  ok(warning?.message.includes("descriptor limit"));
  deepEqual(warning?.fields, {
    openFilesLimit: 1024,
    connections: 2100,
    reserved: reservedDescriptors,
    caps: { "--emitter.max-connections": 2000, "--listen-max-connections": 100 },
  });
});
