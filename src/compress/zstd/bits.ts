/** What the zstd decoder's parts share: its error for damaged data, and the position of a top bit. */

/** Damaged or unsupported zstd data; the message says what, in one line. */
export class ZstdDataError extends Error {}

/** The index of the highest set bit (floor(log2(value))); -1 for 0. */
export function highBit(value: number): number {
  return 31 - Math.clz32(value);
}
