/**
 * A small WebAssembly assembler for the modules whose bytes the sources keep (src/util/crc32.ts,
 * src/bundle/index-scan.ts): instructions by name, so that the tests can check those bytes
 * against readable code.
 */

/** Unsigned and signed LEB128, as WebAssembly encodes integers. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

export const I32 = 0x7f;
export const I64 = 0x7e;
export const F64 = 0x7c;

export const op = {
  get: (i: number) => [0x20, i],
  set: (i: number) => [0x21, i],
  const: (n: number) => [0x41, ...sleb(n)],
  load: (offset: number) => [0x28, 2, ...uleb(offset)],
  load8: (offset: number) => [0x2d, 0, ...uleb(offset)],
  /** i64.load32_u: a u32 word widened, so that sums of words do not wrap. */
  load64u32: (offset: number) => [0x35, 2, ...uleb(offset)],
  store: (offset: number) => [0x36, 2, ...uleb(offset)],
  store8: (offset: number) => [0x3a, 0, ...uleb(offset)],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  and: [0x71],
  xor: [0x73],
  shl: [0x74],
  shrU: [0x76],
  ltU: [0x49],
  geU: [0x4f],
  add64: [0x7c],
  ne64: [0x52],
  addF64: [0xa0],
  f64FromU32: [0xb8],
  brIf: (depth: number) => [0x0d, depth],
  br: (depth: number) => [0x0c, depth],
  /** `if` with no result, on an i32 (non-zero: taken). */
  if: [0x04, 0x40],
  end: [0x0b],
  return: [0x0f],
  blockLoop: [0x02, 0x40, 0x03, 0x40],
  endEnd: [0x0b, 0x0b],
};

export function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

export function name(text: string): number[] {
  return [...uleb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];
}

export const MAGIC_AND_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** A function type: params and results. */
export function funcType(params: number[], results: number[]): number[] {
  return [0x60, params.length, ...params, results.length, ...results];
}

/** A function body: its locals (runs of [count, type]) and code, which must end with `end`. */
export function body(locals: Array<[number, number]>, code: number[]): number[] {
  const content = [locals.length, ...locals.flat(), ...code];
  return [...uleb(content.length), ...content];
}
