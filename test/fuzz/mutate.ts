import fc from "fast-check";

/**
 * Raw mutations of a byte buffer, the way a damaged disk, a bad download or a careless hand
 * damages a file: bit flips, bytes and integers overwritten with boundary values, zeroed runs,
 * chunks copied from elsewhere in the file, insertions and truncation. Positions are 32-bit
 * "position seeds" turned into offsets only when applied, so that one mutation list applies to
 * any buffer, and half of them land in the buffer's hot ranges (the headers and tables the
 * parser trusts most) when the target gives some.
 */
export type Mutation =
  | { readonly kind: "flip"; readonly at: number; readonly bit: number }
  | { readonly kind: "int"; readonly at: number; readonly width: 1 | 2 | 4 | 8; readonly value: number; readonly bigEndian: boolean }
  | { readonly kind: "zero"; readonly at: number; readonly length: number }
  | { readonly kind: "copy"; readonly at: number; readonly from: number; readonly length: number }
  | { readonly kind: "insert"; readonly at: number; readonly bytes: readonly number[] }
  | { readonly kind: "truncate"; readonly at: number };

/** Values that sit on the edges parsers check: zero, sign bits, all ones, and near-limits. */
const BOUNDARIES = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** Special value codes for "the buffer's length" (and its neighbours), resolved when applied. */
const LENGTH_MINUS_ONE = -1;
const LENGTH = -2;
const LENGTH_PLUS_ONE = -3;

const position = fc.nat({ max: 0xffffffff });

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("flip" as const), at: position, bit: fc.nat({ max: 7 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("int" as const),
      at: position,
      width: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const),
      value: fc.oneof(fc.constantFrom(...BOUNDARIES, LENGTH_MINUS_ONE, LENGTH, LENGTH_PLUS_ONE), fc.nat({ max: 0xffffffff })),
      bigEndian: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("zero" as const), at: position, length: fc.integer({ min: 1, max: 4096 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("copy" as const), at: position, from: position, length: fc.integer({ min: 1, max: 512 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("insert" as const), at: position, bytes: fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate" as const), at: position }) },
);

export const mutationsArbitrary = (maxLength = 6): fc.Arbitrary<Mutation[]> => fc.array(mutationArbitrary, { minLength: 1, maxLength });

/** A position seed to an offset in [0, length): bit 0 picks a hot range (when there are any). */
function offsetOf(seed: number, length: number, hot: ReadonlyArray<readonly [number, number]>): number {
  if (length === 0) return 0;
  const ranges = hot.filter(([start, end]) => end > start && start < length);
  if (ranges.length > 0 && (seed & 1) === 1) {
    const [start, end] = ranges[(seed >>> 1) % ranges.length];
    const span = Math.min(end, length) - start;
    return start + ((seed >>> 4) % span);
  }
  return (seed >>> 1) % length;
}

function integerBytes(value: number, width: 1 | 2 | 4 | 8, bigEndian: boolean): Buffer {
  const out = Buffer.alloc(width);
  const big = BigInt(value >>> 0) | (width === 8 && value >= 0x80000000 ? 0xffffffff00000000n : 0n);
  for (let i = 0; i < width; i++) {
    const byte = Number((big >> BigInt(8 * i)) & 0xffn);
    out[bigEndian ? width - 1 - i : i] = byte;
  }
  return out;
}

/** A mutated copy of `data` (the original is left alone). */
export function applyMutations(data: Buffer, mutations: readonly Mutation[], hot: ReadonlyArray<readonly [number, number]> = []): Buffer {
  let out = Buffer.from(data);
  for (const m of mutations) {
    const at = offsetOf(m.at, out.length, hot);
    switch (m.kind) {
      case "flip":
        if (out.length > 0) out[at] ^= 1 << m.bit;
        break;
      case "int": {
        const value = m.value === LENGTH ? out.length : m.value === LENGTH_MINUS_ONE ? out.length - 1 : m.value === LENGTH_PLUS_ONE ? out.length + 1 : m.value;
        const bytes = integerBytes(value, m.width, m.bigEndian);
        bytes.copy(out, at, 0, Math.max(0, Math.min(bytes.length, out.length - at)));
        break;
      }
      case "zero":
        out.fill(0, at, Math.min(out.length, at + m.length));
        break;
      case "copy": {
        const from = offsetOf(m.from, out.length, []);
        out.copy(out, at, from, Math.min(out.length, from + m.length));
        break;
      }
      case "insert":
        out = Buffer.concat([out.subarray(0, at), Buffer.from(m.bytes), out.subarray(at)]);
        break;
      case "truncate":
        out = out.subarray(0, at);
        break;
    }
  }
  return out;
}
