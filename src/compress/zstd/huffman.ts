import { ZstdDataError, highBit } from "./bits";
import { readFseTable } from "./fse";

/**
 * Huffman-coded literals (RFC 8878, section 4.2): the tree description and the one- or
 * four-stream decoding. Ported from fzstd (see NOTICE.md here). Changed:
 * - the FSE-compressed weights stop at 255, as zstd's decoder does (FSE_decompress_wksp is given
 *   room for 255 weights). A weight table where one symbol has the whole probability gives every
 *   state 0 bits to read, so the bitstream never runs out; fzstd looped there for ever (the zstd
 *   format's own text was clarified to call such a table invalid);
 * - a table of all-zero weights, or one needing more than 11 bits (the format's maximum), is
 *   refused; fzstd read codes of up to 17 bits only;
 * - every part must lie inside its block, and the four streams' sizes inside the literals.
 */
export interface HuffmanTable {
  readonly maxBits: number;
  /** Indexed by the next maxBits bits of the stream: the symbol, and the bits its code takes. */
  readonly symbols: Uint8Array;
  readonly bits: Uint8Array;
}

const MAX_WEIGHTS = 255;
const MAX_BITS = 11;

/** Reads the tree description at byte `at` (ending by `end`); returns where it ends and the table. */
export function readHuffmanTable(data: Uint8Array, at: number, end: number): [number, HuffmanTable] {
  const weights = new Uint8Array(MAX_WEIGHTS + 1);
  let count: number;
  const header = data[at];
  let next: number;
  if (header < 128) {
    // FSE-compressed weights: `header` bytes, the table's description then its bitstream.
    next = at + 1 + header;
    if (next > end) throw new ZstdDataError("Huffman tree description past the end of its block");
    const [streamStart, table] = readFseTable(data, at + 1, next, 6, 255);
    const last = data[next - 1];
    if (last === 0 || streamStart >= next) throw new ZstdDataError("invalid Huffman weights bitstream");
    const startBit = streamStart << 3;
    // Two interleaved states, read backwards from the last byte's end mark.
    let pos = ((next - 1) << 3) + highBit(last);
    let state1 = 0;
    let state2 = 0;
    let width1 = table.accuracyLog;
    let width2 = width1;
    let index = -1;
    for (;;) {
      pos -= width1;
      if (pos < startBit) break;
      let byte = pos >> 3;
      state1 += ((data[byte] | (data[byte + 1] << 8)) >> (pos & 7)) & ((1 << width1) - 1);
      if (index + 1 >= MAX_WEIGHTS) throw new ZstdDataError("more than 255 Huffman weights");
      weights[++index] = table.symbols[state1];
      pos -= width2;
      if (pos < startBit) break;
      byte = pos >> 3;
      state2 += ((data[byte] | (data[byte + 1] << 8)) >> (pos & 7)) & ((1 << width2) - 1);
      if (index + 1 >= MAX_WEIGHTS) throw new ZstdDataError("more than 255 Huffman weights");
      weights[++index] = table.symbols[state2];
      width1 = table.bits[state1];
      state1 = table.baselines[state1];
      width2 = table.bits[state2];
      state2 = table.baselines[state2];
    }
    count = index + 1;
  } else {
    // Weights as 4-bit values, two a byte.
    count = header - 127;
    next = at + 1 + ((count + 1) >> 1);
    if (next > end) throw new ZstdDataError("Huffman tree description past the end of its block");
    for (let i = 0; i < count; i += 2) {
      const byte = data[at + 1 + (i >> 1)];
      weights[i] = byte >> 4;
      weights[i + 1] = byte & 15;
    }
  }

  // The last symbol's weight is implied: what brings the sum to a power of two.
  let sum = 0;
  for (let i = 0; i < count; ++i) {
    const weight = weights[i];
    if (weight > MAX_BITS) throw new ZstdDataError(`Huffman weight ${weight} above ${MAX_BITS}`);
    if (weight) sum += 1 << (weight - 1);
  }
  if (sum === 0) throw new ZstdDataError("Huffman weights all zero");
  const maxBits = highBit(sum) + 1;
  if (maxBits > MAX_BITS) throw new ZstdDataError(`Huffman codes of more than ${MAX_BITS} bits`);
  const tableSize = 1 << maxBits;
  const rest = tableSize - sum;
  if (rest & (rest - 1)) throw new ZstdDataError("Huffman weights do not sum to a power of two");
  weights[count++] = highBit(rest) + 1;

  // Weights to code lengths, then each length's first table index (longest codes first).
  const rankCount = new Int32Array(MAX_BITS + 2);
  for (let i = 0; i < count; ++i) {
    const weight = weights[i];
    ++rankCount[(weights[i] = weight && maxBits + 1 - weight)];
  }
  const rankStart = new Int32Array(MAX_BITS + 2);
  const table = new Uint8Array(tableSize << 1);
  const symbols = table.subarray(0, tableSize);
  const bits = table.subarray(tableSize);
  for (let i = maxBits; i > 0; --i) {
    const start = rankStart[i];
    bits.fill(i, start, (rankStart[i - 1] = start + rankCount[i] * (1 << (maxBits - i))));
  }
  if (rankStart[0] !== tableSize) throw new ZstdDataError("invalid Huffman weights");
  for (let i = 0; i < count; ++i) {
    const length = weights[i];
    if (length) {
      const code = rankStart[length];
      symbols.fill(i, code, (rankStart[length] = code + (1 << (maxBits - length))));
    }
  }
  return [next, { maxBits, symbols, bits }];
}

/** Decodes one stream into all of `out`: it must end exactly at the stream's first bit. */
function decodeStream(data: Uint8Array, out: Uint8Array, table: HuffmanTable): void {
  const length = data.length;
  const wanted = out.length;
  const last = data[length - 1];
  if (!last) throw new ZstdDataError("invalid Huffman stream end");
  const mask = (1 << table.maxBits) - 1;
  const end = -table.maxBits;
  const symbols = table.symbols;
  const codeBits = table.bits;
  let state = 0;
  let width = table.maxBits;
  let pos = (length << 3) - 8 + highBit(last) - width;
  let i = -1;
  // Each turn writes one symbol (at most `wanted` + 1 turns) and reads at least one bit.
  while (pos > end && i < wanted) {
    const byte = pos >> 3;
    const value = (data[byte] | (data[byte + 1] << 8) | (data[byte + 2] << 16)) >> (pos & 7);
    state = ((state << width) | value) & mask;
    out[++i] = symbols[state];
    pos -= width = codeBits[state];
  }
  if (pos !== end || i + 1 !== wanted) throw new ZstdDataError("Huffman stream does not match the literals' size");
}

/** Decodes the literals: one stream, or four behind a 6-byte jump table. */
export function decodeHuffmanLiterals(data: Uint8Array, out: Uint8Array, table: HuffmanTable, fourStreams: boolean): void {
  if (!fourStreams) {
    decodeStream(data, out, table);
    return;
  }
  if (data.length < 6) throw new ZstdDataError("Huffman jump table past the end of the literals");
  const size1 = data[0] | (data[1] << 8);
  const size2 = data[2] | (data[3] << 8);
  const size3 = data[4] | (data[5] << 8);
  const start4 = 6 + size1 + size2 + size3;
  if (start4 > data.length) throw new ZstdDataError("Huffman streams past the end of the literals");
  const total = out.length;
  const segment = (total + 3) >> 2;
  if (3 * segment > total) throw new ZstdDataError("too few literals for four Huffman streams");
  decodeStream(data.subarray(6, 6 + size1), out.subarray(0, segment), table);
  decodeStream(data.subarray(6 + size1, 6 + size1 + size2), out.subarray(segment, 2 * segment), table);
  decodeStream(data.subarray(6 + size1 + size2, start4), out.subarray(2 * segment, 3 * segment), table);
  decodeStream(data.subarray(start4), out.subarray(3 * segment), table);
}
