/**
 * Test fixtures of lib/cli (kept out of the build context, like every
 * `_fixtures.ts`): a config parsed as the command would, sources as given,
 * and a logger whose lines a test can read back.
 *
 * @module
 */

import { deepEqual, equal } from "node:assert/strict";
import { createLogger, type Logger } from "../log/logger.ts";
import { type Config, type KubeconfigSource, parseFlags, type SourceFlag } from "./flags.ts";

/** The config `argv` parses into, with `env` as the environment (default: empty). */
export function parsedConfig(
  argv: string[],
  env: (name: string) => string | undefined = () => undefined,
): Config {
  const result = parseFlags(argv, { env });
  if (result.kind !== "run") throw new Error(`expected a config, got: ${result.output}`);
  return result.config;
}

/**
 * Each source as it was given, a URL source's config left out once it is
 * checked to be the anonymous one made from its URL.
 */
export function located(
  sources: readonly SourceFlag[],
): ({ name: string; url: string } | KubeconfigSource)[] {
  return sources.map((source) => {
    if (!("url" in source)) return source;
    const { config, ...given } = source;
    equal(config.server.href, new URL(source.url).href, source.url);
    equal(config.origin, `URL ${config.server.href}`);
    deepEqual(config.caCerts, []);
    return given;
  });
}

/** One log line as a test reads it. */
export interface LoggedLine {
  /** The message. */
  msg: string;
  /** The `component` field, where the line has one. */
  component?: string;
}

/** A logger at debug level, and every line it wrote, parsed. */
export function logRecorder(): { logger: Logger; lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const logger = createLogger({ level: "debug", write: (line) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** `component: msg` of each line (`: msg` without a component), to assert on order. */
export function messages(lines: readonly LoggedLine[]): string[] {
  return lines.map((line) => `${line.component ?? ""}: ${line.msg}`);
}
