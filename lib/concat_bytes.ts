/**
 * One byte array holding `chunks` in order. A single chunk is returned as
 * it is, not copied: callers must not change the result.
 *
 * @module
 */

/** The bytes of `chunks`, joined. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const all = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}
