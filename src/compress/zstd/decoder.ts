/*!
 * The zstd decoder of modbundle is a port of fzstd (https://github.com/101arrowz/fzstd):
 * MIT License. Copyright (c) 2020 Arjun Barrett.
 * Permission is hereby granted, free of charge, to any person obtaining a copy of this software
 * and associated documentation files (the "Software"), to deal in the Software without
 * restriction, including without limitation the rights to use, copy, modify, merge, publish,
 * distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
 * Software is furnished to do so, subject to the following conditions:
 * The above copyright notice and this permission notice shall be included in all copies or
 * substantial portions of the Software.
 * THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
 * BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
 * NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
 * DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 * OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
 */
import { ZstdDataError } from "./bits";
import { decodeCompressedBlock, newFrameState } from "./block";
import { ZstdFrame } from "./frames";

/**
 * A zstd decoder (RFC 8878) for data held whole in memory, after walkZstdFrames has checked the
 * frames' structure (every block inside the data). Ported from fzstd 0.1.1 (MIT, Arjun Barrett;
 * see NOTICE.md here) and changed so that no input makes it loop without end, allocate past its
 * limit or read what is not there: see huffman.ts, block.ts and fse.ts for what each part checks.
 * Content checksums are not verified (fzstd did not either); a bundle's CRC-32s cover its
 * members.
 */

/** The output would pass the caller's limit; nothing more is decoded. */
export class ZstdOutputLimit extends Error {}

const BLOCK_SIZE_MAX = 128 * 1024;

/**
 * Decodes all frames into one buffer. When every frame declares its size, that buffer is their
 * sum, allocated once (the caller has checked it against `limit`); otherwise it grows as blocks
 * arrive and decoding stops with ZstdOutputLimit as soon as the output passes `limit`. A frame
 * that declares its size must decode to exactly that.
 */
export function decodeZstd(data: Uint8Array, frames: readonly ZstdFrame[], limit: number): Uint8Array {
  const exact = frames.every((frame) => frame.contentSize !== undefined);
  let out = new Uint8Array(exact ? frames.reduce((sum, frame) => sum + (frame.contentSize as number), 0) : Math.min(limit, 1 << 20) + BLOCK_SIZE_MAX);
  let op = 0;
  const reserve = (needed: number): void => {
    if (needed <= out.length) return;
    const grown = new Uint8Array(Math.max(needed, Math.min(out.length * 2, limit + BLOCK_SIZE_MAX)));
    grown.set(out.subarray(0, op));
    out = grown;
  };
  for (const frame of frames) {
    const frameStart = op;
    const frameEnd = frame.contentSize === undefined ? Infinity : frameStart + frame.contentSize;
    const blockMax = Math.min(frame.windowSize, BLOCK_SIZE_MAX);
    const state = newFrameState();
    let p = frame.blocksStart;
    for (let last = false; !last; ) {
      const header = data[p] | (data[p + 1] << 8) | (data[p + 2] << 16);
      const blockAt = p;
      p += 3;
      last = (header & 1) === 1;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      const room = Math.min(blockMax, frameEnd - op);
      const regenerated = type === 2 ? 0 : size;
      if (regenerated > blockMax || size > BLOCK_SIZE_MAX) {
        throw new ZstdDataError(`block at offset ${blockAt}: ${size} bytes, above the frame's maximum of ${blockMax}`);
      }
      if (regenerated > room) throw new ZstdDataError(`frame at offset ${frame.offset} decodes to more than the ${frame.contentSize} bytes it declares`);
      reserve(op + room);
      if (type === 0) {
        out.set(data.subarray(p, p + size), op);
        op += size;
        p += size;
      } else if (type === 1) {
        out.fill(data[p], op, op + size);
        op += size;
        p += 1;
      } else if (type === 2) {
        try {
          op += decodeCompressedBlock(data, p, p + size, out, op, room, frameStart, state);
        } catch (error) {
          if (error instanceof ZstdDataError) throw new ZstdDataError(`block at offset ${blockAt}: ${error.message}`);
          throw error;
        }
        p += size;
      } else {
        throw new ZstdDataError(`reserved block type at offset ${blockAt}`);
      }
      if (op > limit) throw new ZstdOutputLimit();
    }
    if (frame.contentSize !== undefined && op - frameStart !== frame.contentSize) {
      throw new ZstdDataError(`frame at offset ${frame.offset} decodes to ${op - frameStart} bytes, not the ${frame.contentSize} it declares`);
    }
  }
  return op === out.length ? out : out.slice(0, op);
}
