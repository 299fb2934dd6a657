import { equal } from "node:assert/strict";
import { join } from "node:path";
import { decodeBase64, encodeBase64 } from "./_kubeconfig_tls.ts";
import {
  base64,
  generatePki,
  kubeconfig,
  rejectsLoading,
} from "../../../tests/support/kubeconfig_fixtures.ts";

Deno.test("decodeBase64() is strict about alphabet and padding, and round-trips encodeBase64()", () => {
  equal(decodeBase64("aGVsbG8="), "hello");
  equal(decodeBase64("aGVs\nbG8="), "hello");
  equal(decodeBase64("aGVsbG8"), undefined);
  equal(decodeBase64("aGVs*G8="), undefined);
  equal(decodeBase64(encodeBase64("caf\u00e9")), "caf\u00e9");
});

Deno.test("loadKubeconfig() refuses data that is not base64", async () => {
  await rejectsLoading(
    kubeconfig({ cluster: { server: "https://h", "certificate-authority-data": "not base64!" } }),
    {
      reason: "invalid-field",
      message: () =>
        `cluster "test" field 'certificate-authority-data' must be base64-encoded PEM: current value is "not base64!"`,
    },
  );
  // Key data is never echoed.
  await rejectsLoading(
    kubeconfig({ user: { "client-certificate-data": base64("x"), "client-key-data": "s3cret!" } }),
    {
      reason: "invalid-field",
      message: () =>
        `user "test" field 'client-key-data' must be base64-encoded PEM: current value is not shown (a secret of 7 characters)`,
    },
  );
});

Deno.test("loadKubeconfig() refuses PEM that is not a certificate or a key", async () => {
  let pkiDir = "";
  const setup = async (dir: string) => {
    pkiDir = dir;
    await generatePki(dir);
    await Deno.writeTextFile(join(dir, "hello.crt"), "hello\n");
    await Deno.writeTextFile(
      join(dir, "broken.crt"),
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
  };
  const user = (cert: string, key: string) =>
    kubeconfig({ user: { "client-certificate": cert, "client-key": key } });

  await rejectsLoading(
    kubeconfig({ cluster: { server: "https://h", "certificate-authority": "hello.crt" } }),
    {
      reason: "invalid-certificate",
      message: () =>
        `cluster "test" field 'certificate-authority' must name PEM CA certificates: current value is "${pkiDir}/hello.crt" (it holds no CERTIFICATE PEM block)`,
    },
    { setup },
  );
  await rejectsLoading(
    kubeconfig({ cluster: { server: "https://h", "certificate-authority": "broken.crt" } }),
    {
      reason: "invalid-certificate",
      message: () =>
        `cluster "test" field 'certificate-authority' must name PEM CA certificates: current value is "${pkiDir}/broken.crt" (TLS refused it: invalid peer certificate: BadEncoding)`,
    },
    { setup },
  );
  await rejectsLoading(user("admin.key", "admin.key"), {
    reason: "invalid-certificate",
    message: () =>
      `user "test" field 'client-certificate' must name a PEM certificate: current value is "${pkiDir}/admin.key" (it holds no CERTIFICATE PEM block)`,
  }, { setup });
  await rejectsLoading(user("admin.crt", "admin.crt"), {
    reason: "invalid-certificate",
    message: () =>
      `user "test" field 'client-key' must name a PEM private key: current value is "${pkiDir}/admin.crt" (it holds no PRIVATE KEY PEM block)`,
  }, { setup });
  await rejectsLoading(user("broken.crt", "admin.key"), {
    reason: "invalid-certificate",
    message: () =>
      `user "test" field 'client-certificate' must name a PEM certificate: current value is "${pkiDir}/broken.crt" (TLS refused it: invalid peer certificate: BadEncoding)`,
  }, { setup });
  await rejectsLoading(user("admin.crt", "apiserver.key"), {
    reason: "invalid-certificate",
    message: () =>
      `user "test" fields 'client-certificate' and 'client-key' must be a certificate and its private key (TLS refused it: keys may not be consistent: KeyMismatch)`,
  }, { setup });
});
