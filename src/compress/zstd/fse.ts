import { ZstdDataError, highBit } from "./bits";

/**
 * Finite State Entropy tables (RFC 8878, section 4.1): a table's description read from the
 * stream, and the predefined tables of the sequence codes. Ported from fzstd (see NOTICE.md here);
 * changed: the largest symbol a table may hold is the caller's (35, 31, 52 for the sequence
 * codes, as zstd's decoder requires), the description must end inside its block, and the
 * predefined tables are built when first used rather than when the module loads.
 */
export interface FseTable {
  readonly accuracyLog: number;
  /** For each state: its symbol, the bits its successor reads, and that successor's baseline. */
  readonly symbols: Uint8Array;
  readonly bits: Uint8Array;
  readonly baselines: Uint16Array;
}

/**
 * Reads the table description at byte `at` (which must end by `end`); returns where the
 * description ends and the table.
 */
export function readFseTable(data: Uint8Array, at: number, end: number, maxAccuracyLog: number, maxSymbol: number): [number, FseTable] {
  let bitPos = (at << 3) + 4;
  const accuracyLog = (data[at] & 15) + 5;
  if (accuracyLog > maxAccuracyLog) throw new ZstdDataError(`FSE accuracy log ${accuracyLog} above ${maxAccuracyLog}`);
  const size = 1 << accuracyLog;
  // Probability points still to hand out, the last symbol read, and the high threshold (states
  // from there up belong to the "less than 1" symbols).
  let remaining = size;
  let symbol = -1;
  let high = size;
  const buffer = new ArrayBuffer(512 + (size << 2));
  const freq = new Int16Array(buffer, 0, 256);
  // The same memory as freq: each symbol's next state, once its frequency has been used.
  const nextState = new Uint16Array(buffer, 0, 256);
  const baselines = new Uint16Array(buffer, 512, size);
  const symbolsAt = 512 + (size << 1);
  const symbols = new Uint8Array(buffer, symbolsAt, size);
  const bits = new Uint8Array(buffer, symbolsAt + size);
  while (symbol < maxSymbol && remaining > 0) {
    const width = highBit(remaining + 1);
    const byte = bitPos >> 3;
    const mask = (1 << (width + 1)) - 1;
    let value = ((data[byte] | (data[byte + 1] << 8) | (data[byte + 2] << 16)) >> (bitPos & 7)) & mask;
    const maskShort = (1 << width) - 1;
    const maxShort = mask - remaining - 1;
    const short = value & maskShort;
    if (short < maxShort) {
      bitPos += width;
      value = short;
    } else {
      bitPos += width + 1;
      if (value > maskShort) value -= maxShort;
    }
    freq[++symbol] = --value;
    if (value === -1) {
      remaining += value;
      symbols[--high] = symbol;
    } else {
      remaining -= value;
    }
    if (value === 0) {
      // Zero-probability symbols that follow, two bits at a time (3: and more). Bounded: a run
      // past the largest symbol is refused below, and past the data every read is 0.
      let repeat: number;
      do {
        const at2 = bitPos >> 3;
        repeat = ((data[at2] | (data[at2 + 1] << 8)) >> (bitPos & 7)) & 3;
        bitPos += 2;
        symbol += repeat;
      } while (repeat === 3 && symbol <= maxSymbol);
    }
  }
  if (symbol > maxSymbol || remaining !== 0) throw new ZstdDataError("invalid FSE table description");
  const next = (bitPos + 7) >> 3;
  if (next > end) throw new ZstdDataError("FSE table description past the end of its block");

  // Spreads the symbols over the states (zstd's step, coprime with the size, visits them all).
  const step = (size >> 1) + (size >> 3) + 3;
  const mask = size - 1;
  let position = 0;
  for (let s = 0; s <= symbol; ++s) {
    const count = freq[s];
    if (count < 1) {
      nextState[s] = -count;
      continue;
    }
    for (let i = 0; i < count; ++i) {
      symbols[position] = s;
      do {
        position = (position + step) & mask;
      } while (position >= high);
    }
  }
  if (position !== 0) throw new ZstdDataError("invalid FSE table description");
  for (let i = 0; i < size; ++i) {
    const state = nextState[symbols[i]]++;
    const width = (bits[i] = accuracyLog - highBit(state));
    baselines[i] = (state << width) - size;
  }
  return [next, { accuracyLog, symbols, bits, baselines }];
}

/** A table of one symbol (RLE mode): every state is that symbol and reads no bits. */
export function rleFseTable(symbol: number): FseTable {
  return { accuracyLog: 0, symbols: Uint8Array.of(symbol), bits: new Uint8Array(1), baselines: new Uint16Array(1) };
}

export interface PredefinedTables {
  readonly literalLengths: FseTable;
  readonly offsets: FseTable;
  readonly matchLengths: FseTable;
}

let predefined: PredefinedTables | undefined;

/** The predefined distributions (RFC 8878, 3.1.1.3.2.2), as fzstd encodes their descriptions. */
export function predefinedTables(): PredefinedTables {
  predefined ??= {
    literalLengths: readFseTable(Uint8Array.of(81, 16, 99, 140, 49, 198, 24, 99, 12, 33, 196, 24, 99, 102, 102, 134, 70, 146, 4), 0, Infinity, 6, 35)[1],
    offsets: readFseTable(Uint8Array.of(32, 132, 16, 66, 102, 70, 68, 68, 68, 68, 36, 73, 2), 0, Infinity, 5, 28)[1],
    matchLengths: readFseTable(Uint8Array.of(33, 20, 196, 24, 99, 140, 33, 132, 16, 66, 8, 33, 132, 16, 66, 8, 33, 68, 68, 68, 68, 68, 68, 68, 68, 36, 9), 0, Infinity, 6, 52)[1],
  };
  return predefined;
}
