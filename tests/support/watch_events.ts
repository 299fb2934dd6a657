/**
 * Reads a Kubernetes watch response (newline-delimited JSON events) until a
 * predicate matches, for tests that check a real apiserver's behaviour. The
 * product's own parser lives in lib/kube; this one only has to be obviously
 * right for well-formed streams.
 *
 * @module
 */

/** One decoded watch event. */
export interface WatchEvent<T = unknown> {
  /** ADDED, MODIFIED, DELETED, BOOKMARK or ERROR. */
  type: string;
  /** The object, or a Status for ERROR. */
  object: T;
}

/** The watch stream ended before an event matched: the server closed it, nothing broke. */
export class WatchEndedError extends Error {
  constructor() {
    super("Watch stream ended before a matching event arrived");
    this.name = "WatchEndedError";
  }
}

/**
 * Returns the first event of `response`'s body for which `match` is true,
 * then cancels the body. Throws a {@linkcode WatchEndedError} if the stream
 * ends first.
 */
export async function findWatchEvent<T = unknown>(
  response: Response,
  match: (event: WatchEvent<T>) => boolean,
): Promise<WatchEvent<T>> {
  if (!response.body) throw new Error("Cannot read watch events: the response has no body");
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (!line) continue;
        const event = JSON.parse(line) as WatchEvent<T>;
        if (match(event)) return event;
      }
    }
  } finally {
    await reader.cancel();
  }
  throw new WatchEndedError();
}
