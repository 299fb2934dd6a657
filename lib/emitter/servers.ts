/**
 * Mounts an Emitter's handler the way the original Go Emitter listened: a
 * plain HTTP port (`--emitter.insecure-port`, 8080) and an HTTPS port
 * (`--emitter.secure-port`, 6443), either of which can be turned off with 0.
 * HTTPS uses the given certificate or, without one, a self-signed one that
 * is kept in `--emitter.cert-dir` when given (so restarts keep the
 * fingerprint clients pinned) and whose SHA-256 fingerprint is reported.
 *
 * @module
 */

import { generateSelfSigned } from "./self_signed.ts";
import {
  type ConnectionLimits,
  type Handler,
  serve,
  type ServeOptions,
  type Server,
} from "./serve.ts";
import { cannot } from "../cannot.ts";
import type { AcceptFailure, Refusal } from "../net/accept_loop.ts";

/** Options of {@linkcode serveEmitter}; the connection limits apply to each port. */
export interface ServeEmitterOptions extends ConnectionLimits {
  /** Address both ports listen on. Defaults to `0.0.0.0`. */
  bindAddress?: string;
  /** Plain HTTP port; 0 turns it off. */
  insecurePort: number;
  /** HTTPS port; 0 turns it off. */
  securePort: number;
  /** Serving certificate and key (PEM); without them a self-signed pair is used. */
  tls?: { cert: string; key: string };
  /** Directory where a self-signed pair is reused from, or written to. */
  certDir?: string;
  /** Names and IPs the self-signed certificate covers, beyond localhost. */
  hosts?: string[];
  /** CA bundles that client certificates must chain to (mTLS on the HTTPS port). */
  clientCa?: string[];
  /** Aborting shuts both servers down. */
  signal?: AbortSignal;
  /** Told of handler and body errors. */
  onError?: (error: unknown) => void;
  /** Told, rate-limited, of failed accepts, with the port. */
  onAcceptFailure?: (
    report: AcceptFailure,
    port: number,
  ) => void;
  /** Told, rate-limited, of connections refused at the cap, with the port. */
  onRefusal?: (report: Refusal, port: number) => void;
}

/** The running listeners. */
export interface EmitterServers {
  /** The HTTP server, if on. */
  insecure: Server | undefined;
  /** The HTTPS server, if on. */
  secure: Server | undefined;
  /** SHA-256 fingerprint of a self-signed certificate in use, if any. */
  selfSignedFingerprint: string | undefined;
  /** Resolves when every listener has shut down. */
  finished: Promise<void>;
}

const certFile = "service-reflector-emitter.crt";
const keyFile = "service-reflector-emitter.key";

/** Starts the configured listeners. Throws a RangeError if both ports are off. */
export async function serveEmitter(
  handler: Handler,
  options: ServeEmitterOptions,
): Promise<EmitterServers> {
  const { insecurePort, securePort } = options;
  for (
    const [name, port] of [["insecurePort", insecurePort], ["securePort", securePort]] as const
  ) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(
        cannot("serve the Emitter", `'${name}' must be a port from 0 to 65535`, port),
      );
    }
  }
  if (insecurePort === 0 && securePort === 0) {
    throw new RangeError(
      "Cannot serve the Emitter as both 'insecurePort' and 'securePort' are 0 (off)",
    );
  }
  const common = {
    hostname: options.bindAddress ?? "0.0.0.0",
    ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
    ...(options.requestHeaderTimeoutMs
      ? { requestHeaderTimeoutMs: options.requestHeaderTimeoutMs }
      : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  };
  const { onAcceptFailure, onRefusal } = options;
  /** The options of the server on `port`: its reports name it. */
  const on = (port: number): Partial<ServeOptions> => ({
    ...(onAcceptFailure ? { onAcceptFailure: (report) => onAcceptFailure(report, port) } : {}),
    ...(onRefusal ? { onRefusal: (report) => onRefusal(report, port) } : {}),
  });
  let selfSignedFingerprint: string | undefined;
  let tls = options.tls;
  if (securePort !== 0 && !tls) {
    const pair = await selfSigned(options);
    tls = { cert: pair.cert, key: pair.key };
    selfSignedFingerprint = pair.fingerprint;
  }
  const insecure = insecurePort === 0
    ? undefined
    : await serve(handler, { ...common, ...on(insecurePort), port: insecurePort });
  let secure: Server | undefined;
  try {
    secure = securePort === 0 || !tls ? undefined : await serve(handler, {
      ...common,
      ...on(securePort),
      port: securePort,
      tls: { ...tls, ...(options.clientCa ? { clientCa: options.clientCa } : {}) },
    });
  } catch (error) {
    await insecure?.shutdown();
    throw error;
  }
  return {
    insecure,
    secure,
    selfSignedFingerprint,
    finished: Promise.all([insecure?.finished, secure?.finished]).then(() => {}),
  };
}

async function selfSigned(
  options: ServeEmitterOptions,
): Promise<{ cert: string; key: string; fingerprint: string }> {
  const hosts = [
    ...(options.hosts ?? []),
    ...(options.bindAddress && options.bindAddress !== "0.0.0.0" ? [options.bindAddress] : []),
  ];
  if (!options.certDir) return await generateSelfSigned({ hosts });
  const certPath = `${options.certDir}/${certFile}`;
  const keyPath = `${options.certDir}/${keyFile}`;
  try {
    const [cert, key] = await Promise.all([
      Deno.readTextFile(certPath),
      Deno.readTextFile(keyPath),
    ]);
    return { cert, key, fingerprint: await fingerprintOf(cert) };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new Error(`Cannot read the Emitter's certificate from "${options.certDir}"`, {
        cause: error,
      });
    }
  }
  const pair = await generateSelfSigned({ hosts });
  await Deno.mkdir(options.certDir, { recursive: true });
  await Deno.writeTextFile(certPath, pair.cert);
  await Deno.writeTextFile(keyPath, pair.key, { mode: 0o600 });
  return pair;
}

/** SHA-256 fingerprint (`AB:CD:...`) of the first certificate in `pem`. */
async function fingerprintOf(pem: string): Promise<string> {
  const body = pem.match(/-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/)?.[1] ??
    "";
  const der = Uint8Array.from(
    atob(body.replace(/\s+/g, "")),
    (character) => character.charCodeAt(0),
  );
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  return [...digest].map((byte) => byte.toString(16).padStart(2, "0").toUpperCase()).join(":");
}
