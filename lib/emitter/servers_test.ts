import { equal, match, notEqual, rejects } from "node:assert/strict";
import { freePorts } from "../../tests/cluster/ports.ts";
import { serveEmitter } from "./servers.ts";

const handler = () => new Response("ok");

Deno.test("serveEmitter() serves HTTP and self-signed HTTPS, and reuses the certificate from certDir", async () => {
  const certDir = await Deno.makeTempDir();
  try {
    let fingerprint = "";
    for (const run of [1, 2]) {
      const [insecurePort, securePort] = freePorts(2) as [number, number];
      const controller = new AbortController();
      const servers = await serveEmitter(handler, {
        bindAddress: "127.0.0.1",
        insecurePort,
        securePort,
        certDir,
        signal: controller.signal,
      });
      const cert = await Deno.readTextFile(`${certDir}/service-reflector-emitter.crt`);
      using client = Deno.createHttpClient({ caCerts: [cert] });
      equal(await (await fetch(`http://127.0.0.1:${insecurePort}/healthz`)).text(), "ok");
      equal(
        await (await fetch(`https://127.0.0.1:${securePort}/healthz`, { client })).text(),
        "ok",
      );
      match(servers.selfSignedFingerprint ?? "", /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      if (run === 2) {
        equal(servers.selfSignedFingerprint, fingerprint, "a restart keeps the certificate");
      }
      fingerprint = servers.selfSignedFingerprint ?? "";
      controller.abort();
      await servers.finished;
    }
  } finally {
    await Deno.remove(certDir, { recursive: true });
  }
});

Deno.test("serveEmitter() can turn either port off, not both", async () => {
  const [port] = freePorts(1) as [number];
  const servers = await serveEmitter(handler, {
    bindAddress: "127.0.0.1",
    insecurePort: port,
    securePort: 0,
  });
  equal(servers.secure, undefined);
  notEqual(servers.insecure, undefined);
  await servers.insecure?.shutdown();
  await rejects(serveEmitter(handler, { insecurePort: 0, securePort: 0 }), {
    name: "RangeError",
    message: "Cannot serve the Emitter as both 'insecurePort' and 'securePort' are 0 (off)",
  });
  await rejects(serveEmitter(handler, { insecurePort: 70000, securePort: 0 }), {
    name: "RangeError",
    message:
      "Cannot serve the Emitter as 'insecurePort' must be a port from 0 to 65535: current value is 70000",
  });
});
