/**
 * The CRC-32 WebAssembly module of src/util/crc32.ts, assembled from readable instructions (the
 * source keeps only the bytes, so that start-up does not assemble them).
 */
import { I32, MAGIC_AND_VERSION, body, funcType, name, op, section, uleb } from "../helpers/wasm-assembler";

/** `table[k][index]`, with the index on the stack: tables lie at k * 1 KiB from address 0. */
const lookup = (k: number): number[] => [...op.const(2), ...op.shl, ...op.load(k * 1024)];

/**
 * crc(p, n, crc) -> crc over memory[p, p + n), not inverted at either end.
 * Locals: 0 p, 1 n (then: end), 2 crc, 3 end of the 8-byte steps, 4 word.
 */
function crcFunctionBody(): number[] {
  const [p, end, crc, end8, word] = [0, 1, 2, 3, 4];
  const byteStep = (offset: number, k: number): number[] => [...op.get(p), ...op.load8(offset), ...lookup(k), ...op.xor];
  return [
    ...op.get(p), ...op.get(1), ...op.const(-8), ...op.and, ...op.add, ...op.set(end8),
    ...op.get(p), ...op.get(1), ...op.add, ...op.set(end),
    ...op.blockLoop,
    ...op.get(p), ...op.get(end8), ...op.geU, ...op.brIf(1),
    ...op.get(p), ...op.load(0), ...op.get(crc), ...op.xor, ...op.set(word),
    ...op.get(word), ...op.const(255), ...op.and, ...lookup(7),
    ...op.get(word), ...op.const(8), ...op.shrU, ...op.const(255), ...op.and, ...lookup(6), ...op.xor,
    ...op.get(word), ...op.const(16), ...op.shrU, ...op.const(255), ...op.and, ...lookup(5), ...op.xor,
    ...op.get(word), ...op.const(24), ...op.shrU, ...lookup(4), ...op.xor,
    ...byteStep(4, 3), ...byteStep(5, 2), ...byteStep(6, 1), ...byteStep(7, 0),
    ...op.set(crc),
    ...op.get(p), ...op.const(8), ...op.add, ...op.set(p),
    ...op.br(0),
    ...op.endEnd,
    ...op.blockLoop,
    ...op.get(p), ...op.get(end), ...op.geU, ...op.brIf(1),
    ...op.get(crc), ...op.get(p), ...op.load8(0), ...op.xor, ...op.const(255), ...op.and, ...lookup(0),
    ...op.get(crc), ...op.const(8), ...op.shrU, ...op.xor, ...op.set(crc),
    ...op.get(p), ...op.const(1), ...op.add, ...op.set(p),
    ...op.br(0),
    ...op.endEnd,
    ...op.get(crc),
    0x0b,
  ];
}

/**
 * tables(): the eight slice-by-8 tables at address 0. Table 0 is the byte-at-a-time table (eight
 * shifts of n, each XORing the polynomial in when the low bit was set: a mask made by 0 - bit),
 * table k entry n is table k - 1's entry n shifted one byte further through table 0.
 * Locals: 0 n, 1 v, 2 k.
 */
function tablesFunctionBody(): number[] {
  const [n, v, k] = [0, 1, 2];
  const next = (variable: number, limit: number): number[] => [...op.get(variable), ...op.const(1), ...op.add, ...op.set(variable), ...op.get(variable), ...op.const(limit), ...op.ltU, ...op.brIf(0)];
  return body([[3, I32]], [
    ...op.blockLoop,
    ...op.get(n), ...op.set(v), ...op.const(0), ...op.set(k),
    0x03, 0x40,
    ...op.get(v), ...op.const(1), ...op.shrU,
    ...op.const(0xedb88320 | 0), ...op.const(0), ...op.get(v), ...op.const(1), ...op.and, ...op.sub, ...op.and,
    ...op.xor, ...op.set(v),
    ...next(k, 8),
    ...op.end,
    ...op.get(n), ...op.const(2), ...op.shl, ...op.get(v), ...op.store(0),
    ...next(n, 256),
    ...op.endEnd,
    ...op.const(0), ...op.set(n),
    ...op.blockLoop,
    ...op.get(n), ...op.const(2), ...op.shl, ...op.load(0), ...op.set(v), ...op.const(1), ...op.set(k),
    0x03, 0x40,
    ...op.get(v), ...op.const(255), ...op.and, ...op.const(2), ...op.shl, ...op.load(0), ...op.get(v), ...op.const(8), ...op.shrU, ...op.xor, ...op.set(v),
    ...op.get(k), ...op.const(10), ...op.shl, ...op.get(n), ...op.const(2), ...op.shl, ...op.add, ...op.get(v), ...op.store(0),
    ...next(k, 8),
    ...op.end,
    ...next(n, 256),
    ...op.endEnd,
    ...op.end,
  ]);
}

/** A module importing memory "env.memory" and exporting crc(i32, i32, i32) -> i32 and tables(). */
export function crcModuleBytes(): Uint8Array {
  const crcBody = [1, 2, I32, ...crcFunctionBody()];
  return new Uint8Array([
    ...MAGIC_AND_VERSION,
    ...section(1, [2, ...funcType([I32, I32, I32], [I32]), ...funcType([], [])]),
    ...section(2, [1, ...name("env"), ...name("memory"), 0x02, 0x00, 1]),
    ...section(3, [2, 0, 1]),
    ...section(7, [2, ...name("crc"), 0x00, 0, ...name("tables"), 0x00, 1]),
    ...section(10, [2, ...uleb(crcBody.length), ...crcBody, ...tablesFunctionBody()]),
  ]);
}

