/**
 * The AGE cell of server-side Tables: apimachinery's `duration.HumanDuration`
 * (about two significant figures, e.g. `45s`, `3m2s`, `61m`, `2d3h`, `2y100d`)
 * applied to the time since `metadata.creationTimestamp`, as the apiserver's
 * printers do.
 *
 * @module
 */

const second = 1_000;
const minute = 60 * second;
const hour = 60 * minute;

/**
 * Formats a duration in milliseconds like `duration.HumanDuration`.
 *
 * Up to 1.999 s in the future counts as "now" (`0s`), tolerating clocks that
 * disagree slightly; further in the future is `<invalid>`. Every unit is
 * truncated towards zero, never rounded, as Go's integer conversions do.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / second);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(ms / minute);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(ms / hour);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const d = days % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

/**
 * The AGE cell of an object created at `timestamp` (RFC 3339), seen at `now`:
 * `<unknown>` when the object has no creation timestamp (Go's zero time),
 * as the apiserver's `translateTimestampSince` renders it.
 */
export function age(timestamp: string | null | undefined, now: Date): string {
  if (!timestamp) return "<unknown>";
  const created = Date.parse(timestamp);
  if (Number.isNaN(created)) return "<unknown>";
  return humanDuration(now.getTime() - created);
}
