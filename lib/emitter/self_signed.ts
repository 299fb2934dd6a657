/**
 * A self-signed serving certificate for the Emitter, for clusters that give
 * it no certificate of their own: an ECDSA P-256 key made with WebCrypto and
 * an X.509 v3 certificate written directly in DER.
 *
 * The certificate is its own trust anchor: a client trusts it by putting the
 * PEM itself in its CA list, or by pinning the SHA-256 fingerprint that the
 * Emitter logs. It is an end-entity certificate (`CA:FALSE`, key usage
 * `digitalSignature`, extended key usage `serverAuth`), so it cannot sign
 * anything else even if its key leaks. Every host is a subject alternative
 * name (an IP address or a DNS name); `localhost` and `127.0.0.1` always are.
 *
 * Only the fixed shape needed here is encoded, which is why no ASN.1 library
 * is used: every structure below follows RFC 5280 section 4.1.
 *
 * @module
 */

import { cannot } from "../cannot.ts";

/** Options of {@linkcode generateSelfSigned}. */
export interface SelfSignedOptions {
  /** IP addresses and DNS names the certificate is valid for, besides `localhost` and `127.0.0.1`. */
  hosts: string[];
  /** Days the certificate is valid from now. Defaults to 365. */
  validDays?: number;
}

/** A generated certificate, its key and its fingerprint. */
export interface SelfSigned {
  /** The certificate, PEM `CERTIFICATE`. */
  cert: string;
  /** The private key, PEM `PRIVATE KEY` (PKCS#8). */
  key: string;
  /** SHA-256 of the certificate's DER, as upper-case hex bytes joined by colons (`AB:CD:...`). */
  fingerprint: string;
}

/** Validity starts this long before "now", so that clients whose clock lags still accept it. */
const BACKDATE_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const COMMON_NAME = "service-reflector-emitter";
const DNS_NAME =
  /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Generates a self-signed ECDSA P-256 serving certificate for `hosts`.
 *
 * @example Serve HTTPS with it
 * ```ts ignore
 * const { cert, key, fingerprint } = await generateSelfSigned({ hosts: ["emitter.example"] });
 * Deno.serve({ cert, key, port: 8443 }, () => new Response("ok"));
 * ```
 */
export async function generateSelfSigned(options: SelfSignedOptions): Promise<SelfSigned> {
  const { hosts, validDays = 365 } = options;
  if (!Number.isInteger(validDays) || validDays <= 0) {
    throw new RangeError(
      cannot("generate certificate", "'validDays' must be a positive integer", validDays),
    );
  }
  // Keyed by encoding, so that equal names ("::1" and "0::1") are listed once.
  const names = new Map<string, number[]>();
  for (const host of ["localhost", "127.0.0.1", ...hosts]) {
    const encoded = generalName(host);
    names.set(encoded.join(","), encoded);
  }

  const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));

  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0] ?? 0) & 0x7f | 0x40; // positive, and never shortened by DER
  const now = Date.now();
  const name = seq(set(seq(oid("2.5.4.3"), tlv(0x0c, utf8(COMMON_NAME)))));
  const extensions = [
    extension("2.5.29.19", true, seq()), // basicConstraints: CA:FALSE
    extension("2.5.29.15", true, tlv(0x03, [0x07, 0x80])), // keyUsage: digitalSignature
    extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"))), // extKeyUsage: serverAuth
    extension("2.5.29.17", false, seq(...names.values())), // subjectAltName
  ];
  const tbs = seq(
    tlv(0xa0, integer([2])), // version v3
    integer(serial),
    ECDSA_WITH_SHA256,
    name,
    seq(time(new Date(now - BACKDATE_MS)), time(new Date(now + validDays * DAY_MS))),
    name,
    [...spki],
    tlv(0xa3, seq(...extensions)),
  );
  const signature = new Uint8Array(
    await crypto.subtle.sign(
      { name: "ECDSA", hash: "SHA-256" },
      keys.privateKey,
      new Uint8Array(tbs),
    ),
  );
  const der = new Uint8Array(
    seq(tbs, ECDSA_WITH_SHA256, tlv(0x03, [0, ...ecdsaSignature(signature)])),
  );

  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  return {
    cert: pem("CERTIFICATE", der),
    key: pem("PRIVATE KEY", pkcs8),
    fingerprint: [...digest].map((b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":"),
  };
}

/** The `GeneralName` of `host` in the subject alternative names. */
function generalName(host: string): number[] {
  const ip = ipBytes(host);
  if (ip) return tlv(0x87, ip); // [7] iPAddress
  const dns = host.toLowerCase();
  // An all-numeric last label would be read as an IPv4 address by clients.
  if (dns.length > 253 || !DNS_NAME.test(dns) || /(^|\.)\d+$/.test(dns)) {
    throw new TypeError(
      cannot("generate certificate", "'hosts' must hold IP addresses or DNS names", host),
    );
  }
  return tlv(0x82, [...utf8(dns)]); // [2] dNSName (IA5String, ASCII by the check above)
}

/** The 4 or 16 bytes of an IPv4 or IPv6 address, or `undefined` if `host` is neither. */
function ipBytes(host: string): number[] | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const bytes = v4.slice(1).map(Number);
    return bytes.every((b) => b <= 255) ? bytes : undefined;
  }
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  if (!/^[0-9a-f:]+$/i.test(bare) || !bare.includes(":")) return undefined;
  const halves = bare.split("::");
  if (halves.length > 2) return undefined;
  const groups = halves.map((half) => half === "" ? [] : half.split(":"));
  const [head = [], tail = []] = groups;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill("0"), ...tail];
  if (!all.every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return undefined;
  return all.flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

const ECDSA_WITH_SHA256 = seq(oid("1.2.840.10045.4.3.2"));

/** WebCrypto signs ECDSA as `r || s`; X.509 wants `SEQUENCE { INTEGER r, INTEGER s }`. */
function ecdsaSignature(raw: Uint8Array): number[] {
  const half = raw.length / 2;
  return seq(integer(raw.subarray(0, half)), integer(raw.subarray(half)));
}

function extension(id: string, critical: boolean, value: number[]): number[] {
  return seq(oid(id), ...(critical ? [[0x01, 0x01, 0xff]] : []), tlv(0x04, value));
}

/** UTCTime through 2049, GeneralizedTime after, as RFC 5280 section 4.1.2.5 requires. */
function time(date: Date): number[] {
  const full = date.toISOString().replace(/[-:T]|\.\d+/g, ""); // YYYYMMDDHHMMSSZ
  const year = date.getUTCFullYear();
  return year < 2050 ? tlv(0x17, [...utf8(full.slice(2))]) : tlv(0x18, [...utf8(full)]);
}

function integer(bytes: ArrayLike<number>): number[] {
  let value = Array.from(bytes);
  while (value.length > 1 && value[0] === 0 && ((value[1] ?? 0) & 0x80) === 0) {
    value = value.slice(1);
  }
  if (((value[0] ?? 0) & 0x80) !== 0) value = [0, ...value];
  return tlv(0x02, value);
}

function oid(dotted: string): number[] {
  const [first = 0, second = 0, ...rest] = dotted.split(".").map(Number);
  const body = [40 * first + second];
  for (const arc of rest) {
    const base128 = [arc & 0x7f];
    for (let value = arc >>> 7; value > 0; value >>>= 7) base128.unshift(value & 0x7f | 0x80);
    body.push(...base128);
  }
  return tlv(0x06, body);
}

function seq(...items: number[][]): number[] {
  return tlv(0x30, items.flat());
}

function set(...items: number[][]): number[] {
  return tlv(0x31, items.flat());
}

function tlv(tag: number, value: ArrayLike<number>): number[] {
  const length: number[] = [];
  if (value.length < 0x80) {
    length.push(value.length);
  } else {
    for (let n = value.length; n > 0; n >>>= 8) length.unshift(n & 0xff);
    length.unshift(0x80 | length.length);
  }
  return [tag, ...length, ...Array.from(value)];
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function pem(label: string, der: Uint8Array): string {
  const base64 = btoa(String.fromCharCode(...der));
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
