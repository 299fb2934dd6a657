/**
 * Structured logs: one JSON object per line on stderr (as the original Go
 * project logged), with a level, a timestamp, a message and fields such as
 * `component`, `source`, `key` and `reconcileId`. Loggers are cheap
 * values: `child(fields)` returns one that adds fields to every line.
 *
 * Levels follow the original's `--log-level`: all, debug, info, warn,
 * error, none.
 *
 * @module
 */

/** A `--log-level` value. */
export type LogLevel = "all" | "debug" | "info" | "warn" | "error" | "none";

/** The `--log-level` values, from most to least verbose. */
export const logLevels: readonly LogLevel[] = ["all", "debug", "info", "warn", "error", "none"];

type Severity = "debug" | "info" | "warn" | "error";
const rank: Record<LogLevel | Severity, number> = {
  all: 0,
  debug: 1,
  info: 2,
  warn: 3,
  error: 4,
  none: 5,
};

/** Fields attached to a line. Errors are rendered with their message and cause chain. */
export type Fields = Record<string, unknown>;

/** Options of {@linkcode createLogger}. */
export interface LoggerOptions {
  /** Lowest level written. Defaults to `info`. */
  level?: LogLevel;
  /** Where lines go. Defaults to stderr. */
  write?: (line: string) => void;
  /** Time source, in ms since the epoch. Defaults to `Date.now`. */
  now?: () => number;
}

/** A structured logger. */
export interface Logger {
  /** Verbose detail for debugging. */
  debug(message: string, fields?: Fields): void;
  /** Normal operation. */
  info(message: string, fields?: Fields): void;
  /** Something degraded that recovers by itself. */
  warn(message: string, fields?: Fields): void;
  /** Something that needs attention. */
  error(message: string, fields?: Fields): void;
  /** A logger adding `fields` to every line. */
  child(fields: Fields): Logger;
}

const encoder = new TextEncoder();

/** Creates a logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = rank[options.level ?? "info"];
  const write = options.write ??
    ((line: string) => Deno.stderr.writeSync(encoder.encode(line + "\n")));
  const now = options.now ?? Date.now;
  const make = (base: Fields): Logger => {
    const log = (severity: Severity) => (message: string, fields: Fields = {}) => {
      if (rank[severity] < threshold) return;
      write(
        JSON.stringify({
          level: severity,
          ts: new Date(now()).toISOString(),
          msg: message,
          ...base,
          ...render(fields),
        }),
      );
    };
    return {
      debug: log("debug"),
      info: log("info"),
      warn: log("warn"),
      error: log("error"),
      child: (fields) => make({ ...base, ...render(fields) }),
    };
  };
  return make({});
}

function render(fields: Fields): Fields {
  const out: Fields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? describe(value) : value;
  }
  return out;
}

function describe(error: Error): string {
  const parts = [error.message];
  let cause = error.cause;
  for (let depth = 0; cause !== undefined && depth < 5; depth++) {
    parts.push(cause instanceof Error ? cause.message : String(cause));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return parts.join(": caused by: ");
}
