/**
 * The structure of a zstd stream (RFC 8878, section 3.1), read without decoding anything: each
 * frame's header (window size, declared content size) and its blocks' sizes, which lead to the
 * next frame. Skippable frames are stepped over. A damaged structure is an Error naming the
 * offset; the caller turns it into its own message.
 */
export interface ZstdFrame {
  readonly offset: number;
  readonly singleSegment: boolean;
  /** The window the decoder must keep (bytes). */
  readonly windowSize: number;
  /** The declared decompressed size, when the frame has one. */
  readonly contentSize?: number;
  /** Where the frame's first block header is. */
  readonly blocksStart: number;
}

/** zstd's own default decoder limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT, 2^27): larger windows are refused. */
export const ZSTD_WINDOW_MAX = 1 << 27;

const FRAME_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const BLOCK_RLE = 1;
const BLOCK_RESERVED = 3;

function need(data: Buffer, at: number, length: number, what: string): void {
  if (at + length > data.length) throw new Error(`truncated ${what} at offset ${at}`);
}

function readLE(data: Buffer, at: number, bytes: number): number {
  let value = 0;
  for (let i = bytes - 1; i >= 0; i--) value = value * 256 + data[at + i];
  return value;
}

export function walkZstdFrames(data: Buffer): ZstdFrame[] {
  const frames: ZstdFrame[] = [];
  let at = 0;
  if (data.length === 0) throw new Error("no zstd frame");
  while (at < data.length) {
    need(data, at, 4, "frame magic");
    const magic = data.readUInt32LE(at);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      need(data, at + 4, 4, "skippable frame size");
      const size = data.readUInt32LE(at + 4);
      need(data, at + 8, size, "skippable frame");
      at += 8 + size;
      continue;
    }
    if (magic !== FRAME_MAGIC) throw new Error(`no zstd frame magic at offset ${at}`);
    const frame = at;
    need(data, at + 4, 1, "frame header");
    const descriptor = data[at + 4];
    if (descriptor & 0x08) throw new Error(`reserved bit set in the frame header at offset ${frame}`);
    const fcsFlag = descriptor >> 6;
    const singleSegment = (descriptor & 0x20) !== 0;
    const checksum = (descriptor & 0x04) !== 0;
    const dictBytes = [0, 1, 2, 4][descriptor & 3];
    at += 5;
    let windowSize = 0;
    if (!singleSegment) {
      need(data, at, 1, "window descriptor");
      const exponent = data[at] >> 3;
      const base = 2 ** (10 + exponent);
      windowSize = base + (base / 8) * (data[at] & 7);
      at += 1;
    }
    const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : 1 << fcsFlag;
    need(data, at, dictBytes + fcsBytes, "frame header");
    at += dictBytes;
    let contentSize: number | undefined;
    if (fcsBytes > 0) {
      contentSize = readLE(data, at, fcsBytes) + (fcsBytes === 2 ? 256 : 0);
      at += fcsBytes;
    }
    if (singleSegment) windowSize = contentSize as number;
    const blocksStart = at;
    for (;;) {
      need(data, at, 3, "block header");
      const header = data[at] | (data[at + 1] << 8) | (data[at + 2] << 16);
      const type = (header >> 1) & 3;
      if (type === BLOCK_RESERVED) throw new Error(`reserved block type at offset ${at}`);
      const stored = type === BLOCK_RLE ? 1 : header >>> 3;
      need(data, at + 3, stored, "block");
      at += 3 + stored;
      if (header & 1) break;
    }
    if (checksum) {
      need(data, at, 4, "frame checksum");
      at += 4;
    }
    frames.push({ offset: frame, singleSegment, windowSize, contentSize, blocksStart });
  }
  return frames;
}
