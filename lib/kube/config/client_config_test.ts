import { deepEqual, equal, throws } from "node:assert/strict";
import {
  configFromUrl,
  parseServerUrl,
  ServerUrlError,
  type ServerUrlReason,
  staticCredentials,
} from "./client_config.ts";

Deno.test("configFromUrl() reaches the URL anonymously, trusting the given CAs", async () => {
  const config = configFromUrl("https://emitter.east:6443/prefix", { caCerts: ["PEM"] });
  equal(config.server.href, "https://emitter.east:6443/prefix");
  deepEqual(config.caCerts, ["PEM"]);
  equal(config.origin, "URL https://emitter.east:6443/prefix");
  deepEqual(await config.credentials.get(), {});
  deepEqual(configFromUrl("http://a").caCerts, []);
});

Deno.test("parseServerUrl() rejects what a server URL cannot be with a ServerUrlError naming why", () => {
  const cases: [text: string, reason: ServerUrlReason][] = [
    ["emitter:8080/x", "its scheme must be http or https"],
    ["emitter", "it is not an absolute URL"],
    ["ftp://a", "its scheme must be http or https"],
    ["http://a/?q=1", "it must not carry a query, fragment or user info"],
    ["http://a/#top", "it must not carry a query, fragment or user info"],
    ["http://u:p@a", "it must not carry a query, fragment or user info"],
  ];
  for (const [text, reason] of cases) {
    throws(() => parseServerUrl(text), (error: unknown) => {
      if (!(error instanceof ServerUrlError)) throw error;
      equal(error instanceof TypeError, true);
      deepEqual([error.name, error.reason, error.value], ["ServerUrlError", reason, text]);
      equal(
        error.message,
        `Cannot use source URL as ${reason}: current value is ${JSON.stringify(text)}`,
      );
      return true;
    }, text);
  }
  throws(() => configFromUrl("nope"), (error: unknown) => {
    equal(error instanceof ServerUrlError && error.cause instanceof TypeError, true);
    return true;
  });
});

Deno.test("staticCredentials() hands out a frozen copy of what it was given", async () => {
  const given = { token: "t" };
  const provider = staticCredentials(given);
  given.token = "changed";
  const credentials = await provider.get();
  deepEqual(credentials, { token: "t" });
  equal(Object.isFrozen(credentials), true);
});
