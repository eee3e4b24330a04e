import { ZstdDataError, highBit } from "./bits";
import { FseTable, predefinedTables, readFseTable, rleFseTable } from "./fse";
import { HuffmanTable, decodeHuffmanLiterals, readHuffmanTable } from "./huffman";

/**
 * One compressed block (RFC 8878, 3.1.1.3): literals, then sequences executed against the
 * frame's output so far. Ported from fzstd (see NOTICE.md here), which decodes a block into a
 * window of its own; here the whole frame's output is one buffer, so matches copy from it. Every
 * loop is bounded by the block: a sequence may not take more literals than are left nor write
 * past the block's room (min(window, 128 KiB), or what is left of a declared frame size), a match
 * may not reach before the frame's first byte nor have offset 0, the sequence bitstream must end
 * exactly where it starts, and each code must be one the format defines.
 */

/** What carries over from block to block within a frame. */
export interface FrameState {
  /** The Huffman table of the last block that described one (for "treeless" literals). */
  huffman: HuffmanTable | undefined;
  /** The last tables used for literal lengths, offsets, match lengths (for "repeat" mode). */
  tables: SequenceTables | undefined;
  /** The three repeat offsets. */
  readonly repeats: Int32Array;
}

interface SequenceTables {
  readonly literalLengths: FseTable;
  readonly offsets: FseTable;
  readonly matchLengths: FseTable;
}

export function newFrameState(): FrameState {
  return { huffman: undefined, tables: undefined, repeats: Int32Array.of(1, 4, 8) };
}

const MAX_LITERAL_LENGTH_CODE = 35;
const MAX_OFFSET_CODE = 31;
const MAX_MATCH_LENGTH_CODE = 52;

// Extra bits and baselines of the literal and match length codes (RFC 8878, 3.1.1.3.2.1.1).
const LITERAL_LENGTH_BITS = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
const MATCH_LENGTH_BITS = Uint8Array.of(
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
);
const LITERAL_LENGTH_BASE = baselines(LITERAL_LENGTH_BITS, 0);
const MATCH_LENGTH_BASE = baselines(MATCH_LENGTH_BITS, 3);

function baselines(bits: Uint8Array, first: number): Int32Array {
  const out = new Int32Array(bits.length);
  for (let i = 0, base = first; i < bits.length; ++i) {
    out[i] = base;
    base += 1 << bits[i];
  }
  return out;
}

/** `count` bits (at most 32) of the backward bitstream at bit `pos`; bits before the data read as 0. */
function bitsAt(data: Uint8Array, pos: number, count: number): number {
  if (count <= 24) {
    const byte = pos >> 3;
    return ((data[byte] | (data[byte + 1] << 8) | (data[byte + 2] << 16) | (data[byte + 3] << 24)) >>> (pos & 7)) & ((1 << count) - 1);
  }
  return bitsAt(data, pos, 16) + bitsAt(data, pos + 16, count - 16) * 65536;
}

/**
 * Decodes the compressed block data[start, end) into out[at, at + room), with the frame's
 * output from `frameStart` as history; returns the bytes written.
 */
export function decodeCompressedBlock(data: Uint8Array, start: number, end: number, out: Uint8Array, at: number, room: number, frameStart: number, state: FrameState): number {
  let p = start;
  // Literals section header.
  const b0 = data[p];
  const literalsType = b0 & 3;
  const sizeFormat = (b0 >> 2) & 3;
  let literalsSize: number;
  let compressedSize = 0;
  if (literalsType < 2) {
    if ((sizeFormat & 1) === 0) {
      literalsSize = b0 >> 3;
      p += 1;
    } else if (sizeFormat === 1) {
      literalsSize = (b0 >> 4) | (data[p + 1] << 4);
      p += 2;
    } else {
      literalsSize = (b0 >> 4) | (data[p + 1] << 4) | (data[p + 2] << 12);
      p += 3;
    }
  } else if (sizeFormat < 2) {
    literalsSize = (b0 >> 4) | ((data[p + 1] & 63) << 4);
    compressedSize = (data[p + 1] >> 6) | (data[p + 2] << 2);
    p += 3;
  } else if (sizeFormat === 2) {
    literalsSize = (b0 >> 4) | (data[p + 1] << 4) | ((data[p + 2] & 3) << 12);
    compressedSize = (data[p + 2] >> 2) | (data[p + 3] << 6);
    p += 4;
  } else {
    literalsSize = (b0 >> 4) | (data[p + 1] << 4) | ((data[p + 2] & 63) << 12);
    compressedSize = (data[p + 2] >> 6) | (data[p + 3] << 2) | (data[p + 4] << 10);
    p += 5;
  }
  if (p > end) throw new ZstdDataError("literals header past the end of its block");
  if (literalsSize > room) throw new ZstdDataError(`${literalsSize} literals in a block of at most ${room} bytes`);
  // The literals wait at the end of the block's room; output grows from its start and may not
  // catch up with the literals not yet used.
  const blockEnd = at + room;
  const literal = blockEnd - literalsSize;
  if (literalsType === 0) {
    if (p + literalsSize > end) throw new ZstdDataError("literals past the end of their block");
    out.set(data.subarray(p, p + literalsSize), literal);
    p += literalsSize;
  } else if (literalsType === 1) {
    if (p >= end) throw new ZstdDataError("literals past the end of their block");
    out.fill(data[p++], literal, blockEnd);
  } else {
    let table = state.huffman;
    if (literalsType === 2) {
      const [next, described] = readHuffmanTable(data, p, Math.min(end, p + compressedSize));
      compressedSize -= next - p;
      p = next;
      state.huffman = table = described;
    } else if (table === undefined) {
      throw new ZstdDataError("treeless literals without an earlier Huffman table");
    }
    if (p + compressedSize > end) throw new ZstdDataError("literals past the end of their block");
    decodeHuffmanLiterals(data.subarray(p, p + compressedSize), out.subarray(literal, blockEnd), table, sizeFormat !== 0);
    p += compressedSize;
  }

  // Sequences section header.
  if (p >= end) throw new ZstdDataError("no sequences section in a block");
  let count = data[p++];
  if (count === 0) {
    if (p !== end) throw new ZstdDataError("data after a block's last section");
    out.copyWithin(at, literal, blockEnd);
    return literalsSize;
  }
  if (count === 255) {
    count = (data[p] | (data[p + 1] << 8)) + 0x7f00;
    p += 2;
  } else if (count > 127) {
    count = ((count - 128) << 8) | data[p++];
  }
  const modes = data[p++];
  if (p > end) throw new ZstdDataError("sequences header past the end of its block");
  if (modes & 3) throw new ZstdDataError("reserved bits set in the sequences header");
  const defaults = predefinedTables();
  const chosen: FseTable[] = [];
  const kinds = [
    { shift: 6, maxLog: 9, maxSymbol: MAX_LITERAL_LENGTH_CODE, fallback: defaults.literalLengths, previous: state.tables?.literalLengths },
    { shift: 4, maxLog: 8, maxSymbol: MAX_OFFSET_CODE, fallback: defaults.offsets, previous: state.tables?.offsets },
    { shift: 2, maxLog: 9, maxSymbol: MAX_MATCH_LENGTH_CODE, fallback: defaults.matchLengths, previous: state.tables?.matchLengths },
  ];
  for (const kind of kinds) {
    const mode = (modes >> kind.shift) & 3;
    if (mode === 0) {
      chosen.push(kind.fallback);
    } else if (mode === 1) {
      if (p >= end) throw new ZstdDataError("sequences header past the end of its block");
      const symbol = data[p++];
      if (symbol > kind.maxSymbol) throw new ZstdDataError(`sequence code ${symbol} above ${kind.maxSymbol}`);
      chosen.push(rleFseTable(symbol));
    } else if (mode === 2) {
      const [next, table] = readFseTable(data, p, end, kind.maxLog, kind.maxSymbol);
      p = next;
      chosen.push(table);
    } else {
      if (kind.previous === undefined) throw new ZstdDataError("repeated sequence tables without earlier ones");
      chosen.push(kind.previous);
    }
  }
  const [llTable, ofTable, mlTable] = chosen;
  state.tables = { literalLengths: llTable, offsets: ofTable, matchLengths: mlTable };
  return executeSequences(data, p, end, out, at, blockEnd, literal, frameStart, state.repeats, count, llTable, ofTable, mlTable);
}

function executeSequences(
  data: Uint8Array, streamStart: number, end: number, out: Uint8Array, at: number, blockEnd: number, literalStart: number,
  frameStart: number, repeats: Int32Array, count: number, llTable: FseTable, ofTable: FseTable, mlTable: FseTable,
): number {
  if (streamStart >= end) throw new ZstdDataError("no sequence bitstream in a block");
  const last = data[end - 1];
  if (!last) throw new ZstdDataError("invalid sequence bitstream end");
  const startBit = streamStart << 3;
  let pos = ((end - 1) << 3) + highBit(last);
  pos -= llTable.accuracyLog;
  let llState = bitsAt(data, pos, llTable.accuracyLog);
  pos -= ofTable.accuracyLog;
  let ofState = bitsAt(data, pos, ofTable.accuracyLog);
  pos -= mlTable.accuracyLog;
  let mlState = bitsAt(data, pos, mlTable.accuracyLog);
  const llSymbols = llTable.symbols, llBits = llTable.bits, llBase = llTable.baselines;
  const ofSymbols = ofTable.symbols, ofBits = ofTable.bits, ofBase = ofTable.baselines;
  const mlSymbols = mlTable.symbols, mlBits = mlTable.bits, mlBase = mlTable.baselines;
  let op = at;
  let literal = literalStart;
  // `count` turns, each O(1) plus its copies; the copies of a block total at most its room.
  for (let n = count; n > 0; --n) {
    const llCode = llSymbols[llState];
    const mlCode = mlSymbols[mlState];
    const ofCode = ofSymbols[ofState];
    let byte: number;
    let offset: number;
    pos -= ofCode;
    if (ofCode <= 24) {
      byte = pos >> 3;
      offset = (1 << ofCode) + (((data[byte] | (data[byte + 1] << 8) | (data[byte + 2] << 16) | (data[byte + 3] << 24)) >>> (pos & 7)) & ((1 << ofCode) - 1));
    } else {
      offset = 2 ** ofCode + bitsAt(data, pos, ofCode);
    }
    const mlExtra = MATCH_LENGTH_BITS[mlCode];
    byte = (pos -= mlExtra) >> 3;
    let matchLength = MATCH_LENGTH_BASE[mlCode] + (((data[byte] | (data[byte + 1] << 8) | (data[byte + 2] << 16)) >> (pos & 7)) & ((1 << mlExtra) - 1));
    const llExtra = LITERAL_LENGTH_BITS[llCode];
    byte = (pos -= llExtra) >> 3;
    const literalLength = LITERAL_LENGTH_BASE[llCode] + (((data[byte] | (data[byte + 1] << 8) | (data[byte + 2] << 16)) >> (pos & 7)) & ((1 << llExtra) - 1));
    // The last sequence updates no state (zstd's decoder reads nothing more).
    if (n > 1) {
      let width = llBits[llState];
      byte = (pos -= width) >> 3;
      llState = llBase[llState] + (((data[byte] | (data[byte + 1] << 8)) >> (pos & 7)) & ((1 << width) - 1));
      width = mlBits[mlState];
      byte = (pos -= width) >> 3;
      mlState = mlBase[mlState] + (((data[byte] | (data[byte + 1] << 8)) >> (pos & 7)) & ((1 << width) - 1));
      width = ofBits[ofState];
      byte = (pos -= width) >> 3;
      ofState = ofBase[ofState] + (((data[byte] | (data[byte + 1] << 8)) >> (pos & 7)) & ((1 << width) - 1));
    }
    if (pos < startBit) throw new ZstdDataError("sequence bitstream shorter than its sequences");

    // Offset: a new one (value - 3), or one of the three repeat offsets (RFC 8878, 3.1.2.5).
    if (offset > 3) {
      repeats[2] = repeats[1];
      repeats[1] = repeats[0];
      repeats[0] = offset -= 3;
    } else {
      const index = offset - (literalLength !== 0 ? 1 : 0);
      if (index) {
        offset = index === 3 ? repeats[0] - 1 : repeats[index];
        if (index > 1) repeats[2] = repeats[1];
        repeats[1] = repeats[0];
        repeats[0] = offset;
      } else {
        offset = repeats[0];
      }
    }

    if (literalLength > blockEnd - literal) throw new ZstdDataError("a sequence takes more literals than are left");
    if (literalLength < 16) {
      for (let i = 0; i < literalLength; ++i) out[op + i] = out[literal + i];
    } else {
      out.copyWithin(op, literal, literal + literalLength);
    }
    op += literalLength;
    literal += literalLength;
    if (matchLength > literal - op) throw new ZstdDataError("a block decodes to more than its room");
    if (offset < 1) throw new ZstdDataError("match offset 0");
    if (offset > op - frameStart) throw new ZstdDataError("match offset before the frame's start");
    let from = op - offset;
    if (offset >= matchLength && matchLength >= 16) {
      out.copyWithin(op, from, from + matchLength);
      op += matchLength;
    } else {
      // Overlapping copies repeat the last `offset` bytes, so they go a byte at a time.
      for (; matchLength > 0; --matchLength) out[op++] = out[from++];
    }
  }
  if (pos !== startBit) throw new ZstdDataError("sequence bitstream longer than its sequences");
  out.copyWithin(op, literal, blockEnd);
  return op + (blockEnd - literal) - at;
}
