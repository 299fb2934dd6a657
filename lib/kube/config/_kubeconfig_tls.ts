/**
 * Checks PEM material the way the transport will use it, so that bad
 * certificates fail at load time with a message naming where they came from
 * instead of at the first request. Each check answers with the reason the
 * material is refused, or `undefined` when it is accepted; callers frame the
 * reason with the file and field it came from.
 *
 * A check is two steps: a PEM block of the right type must be present (TLS
 * libraries skip unknown text silently, so a CA "bundle" holding no
 * certificate would otherwise be accepted and trust nothing), and then
 * `Deno.createHttpClient` must accept the material, exactly as the
 * transport will call it. The client is closed at once.
 *
 * @module
 */

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
// PKCS#8, PKCS#1 (RSA) and SEC 1 (EC) keys; encrypted keys are not usable without a passphrase.
const PRIVATE_KEY_BLOCK =
  /-----BEGIN (RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (RSA |EC )?PRIVATE KEY-----/;

/** Why `pem` is not usable as trusted CA certificates, or `undefined` if it is. */
export function caCertsProblem(pem: string): string | undefined {
  if (!CERTIFICATE_BLOCK.test(pem)) return "it holds no CERTIFICATE PEM block";
  return clientProblem({ caCerts: [pem] });
}

/** Which half of a client certificate pair is unusable, and why. */
export interface ClientCertificateProblem {
  /** `cert` or `key` when one half is malformed, `pair` when they do not match. */
  part: "cert" | "key" | "pair";
  /** The reason, for the error message. */
  reason: string;
}

/** Why `cert` and `key` are not a usable client certificate, or `undefined` if they are. */
export function clientCertificateProblem(
  cert: string,
  key: string,
): ClientCertificateProblem | undefined {
  if (!CERTIFICATE_BLOCK.test(cert)) {
    return { part: "cert", reason: "it holds no CERTIFICATE PEM block" };
  }
  if (!PRIVATE_KEY_BLOCK.test(key)) {
    return { part: "key", reason: "it holds no PRIVATE KEY PEM block" };
  }
  const reason = clientProblem({ cert, key });
  if (reason === undefined) return undefined;
  // rustls reports which side it could not parse; anything else is a mismatch.
  if (/private key/i.test(reason)) return { part: "key", reason };
  if (/certificate/i.test(reason)) return { part: "cert", reason };
  return { part: "pair", reason };
}

function clientProblem(
  options: Deno.CreateHttpClientOptions | (Deno.CreateHttpClientOptions & Deno.TlsCertifiedKeyPem),
): string | undefined {
  try {
    Deno.createHttpClient(options).close();
    return undefined;
  } catch (error) {
    return `TLS refused it: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * Decodes standard base64 (whitespace allowed, padding required) to text, or
 * returns `undefined` when `data` is not base64. `atob` alone is too lenient
 * (it accepts missing padding), and kubectl decodes strictly.
 */
export function decodeBase64(data: string): string | undefined {
  const compact = data.replace(/\s+/g, "");
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  const binary = atob(compact);
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** Encodes text as standard base64 with padding. */
export function encodeBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
