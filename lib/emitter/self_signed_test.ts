import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { generateSelfSigned } from "./self_signed.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

Deno.test("generateSelfSigned() makes a certificate that Deno.serve serves and a trusting client accepts", async () => {
  const { cert, key } = await generateSelfSigned({ hosts: [] });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert, key, onListen: () => {} },
    () => new Response("hello"),
  );
  const client = Deno.createHttpClient({ caCerts: [cert] });
  try {
    for (const host of ["127.0.0.1", "localhost"]) {
      const response = await fetch(`https://${host}:${server.addr.port}/`, { client });
      equal(await response.text(), "hello", host);
    }
  } finally {
    client.close();
    await server.shutdown();
  }
});

Deno.test("generateSelfSigned() names every host, localhost and 127.0.0.1 once each", async () => {
  const { cert } = await generateSelfSigned({
    hosts: ["Emitter.Example", "*.svc.example", "10.0.0.7", "::1", "[fe80::1:2]", "127.0.0.1"],
  });
  const x509 = new X509Certificate(cert);
  deepStrictEqual(x509.subjectAltName?.split(", "), [
    "DNS:localhost",
    "IP Address:127.0.0.1",
    "DNS:emitter.example",
    "DNS:*.svc.example",
    "IP Address:10.0.0.7",
    "IP Address:::1",
    "IP Address:fe80::1:2",
  ]);
  equal(x509.checkHost("emitter.example"), "emitter.example");
  equal(x509.checkIP("10.0.0.7"), "10.0.0.7");
});

Deno.test("generateSelfSigned() makes a self-signed end-entity certificate for serving", async () => {
  const { cert, key } = await generateSelfSigned({ hosts: [] });
  const x509 = new X509Certificate(cert);
  ok(x509.verify(x509.publicKey), "signed by its own key");
  equal(x509.subject, x509.issuer);
  equal(x509.ca, false);
  const serverAuth = "06082b06010505070301"; // the DER of OID 1.3.6.1.5.5.7.3.1
  ok(x509.raw.toString("hex").includes(serverAuth), "extended key usage serverAuth");
  equal(x509.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
  ok(key.startsWith("-----BEGIN PRIVATE KEY-----\n"), "PKCS#8 PEM");
  ok(x509.checkPrivateKey(createPrivateKey(key)), "the key matches the certificate");
});

Deno.test("generateSelfSigned() reports the SHA-256 fingerprint of the certificate", async () => {
  const { cert, fingerprint } = await generateSelfSigned({ hosts: [] });
  equal(fingerprint, new X509Certificate(cert).fingerprint256);
  ok(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(fingerprint), fingerprint);
});

Deno.test("generateSelfSigned() is valid from shortly before now for validDays, 365 by default", async () => {
  for (const [validDays, expected] of [[undefined, 365], [2, 2], [40_000, 40_000]] as const) {
    const now = Date.now();
    const x509 = new X509Certificate(
      (await generateSelfSigned({ hosts: [], ...(validDays ? { validDays } : {}) })).cert,
    );
    const from = Date.parse(x509.validFrom);
    const to = Date.parse(x509.validTo);
    ok(from < now - 60_000 && from > now - DAY_MS, `validFrom ${x509.validFrom}`);
    ok(Math.abs(to - now - expected * DAY_MS) < 60_000, `validTo ${x509.validTo}`);
  }
});

Deno.test("generateSelfSigned() makes a new key and serial number every time", async () => {
  const first = await generateSelfSigned({ hosts: [] });
  const second = await generateSelfSigned({ hosts: [] });
  ok(first.key !== second.key);
  ok(
    new X509Certificate(first.cert).serialNumber !== new X509Certificate(second.cert).serialNumber,
  );
});

Deno.test("generateSelfSigned() throws if validDays is not a positive integer", async () => {
  for (const validDays of [0, -1, 1.5, NaN]) {
    await rejects(generateSelfSigned({ hosts: [], validDays }), {
      name: "RangeError",
      message:
        `Cannot generate certificate as 'validDays' must be a positive integer: current value is ${validDays}`,
    });
  }
});

Deno.test("generateSelfSigned() throws if a host is neither an IP address nor a DNS name", async () => {
  for (
    const host of [
      "",
      "bad host",
      "300.1.1.1",
      "10.0.0.300",
      "1::2::3",
      "a..b",
      "-a.example",
      "\u00e9.example",
    ]
  ) {
    await rejects(generateSelfSigned({ hosts: ["ok.example", host] }), {
      name: "TypeError",
      message:
        `Cannot generate certificate as 'hosts' must hold IP addresses or DNS names: current value is ${
          JSON.stringify(host)
        }`,
    });
  }
});
