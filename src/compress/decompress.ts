import path = require("node:path");
import { loadOwnModule } from "../code-cache";
import { ModbundleError } from "../errors";
import { CompressionKind } from "./kind";
import { ZSTD_WINDOW_MAX, walkZstdFrames } from "./zstd/frames";

/**
 * User-space decompression, for modinfo, pack and kernels that cannot decompress a format
 * themselves. zstd uses our own decoder (src/compress/zstd/, ported from fzstd: Node 20's zlib has
 * no zstd and a native binding would need a prebuilt binary); xz uses xz-decompress (xz-embedded
 * compiled to WebAssembly); gzip uses node:zlib. Each decoder is loaded only when first needed (ours
 * is a file of its own, dist/compress/zstd/decoder.js), so that commands which never decompress
 * do not pay for it at start-up.
 *
 * Every decode is bounded, and the decoder stops at the bound (it never decodes first and checks
 * after): a member of a bundle must decompress to exactly the size its index records, anything
 * else (a plain tree's module, pack's input) to at most MAX_MODULE_SIZE. Memory is bounded by
 * that, never by what the compressed data claims about itself.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- loading a decoder on demand is the point */

/** The most any module may decompress to: far above any real module (the largest is ~20 MiB). */
export const MAX_MODULE_SIZE = 512 * 1024 * 1024;

export interface DecompressLimit {
  /** The exact decompressed size (from a bundle's index); without it, at most MAX_MODULE_SIZE. */
  readonly expectedSize?: number;
}

class TooLarge extends Error {}

export async function decompress(kind: CompressionKind, data: Buffer, name: string, limit: DecompressLimit = {}): Promise<Buffer> {
  const expected = limit.expectedSize;
  const bound = expected ?? MAX_MODULE_SIZE;
  const tooLarge = (): ModbundleError =>
    expected === undefined
      ? new ModbundleError("ECOMPRESS", `${name}: decompresses to more than ${MAX_MODULE_SIZE} bytes (the limit for a module)`)
      : new ModbundleError("ECOMPRESS", `${name}: decompresses to more than the ${expected} bytes the index records`);
  let out: Buffer;
  try {
    out = await decode(kind, data, bound);
  } catch (error) {
    if (error instanceof TooLarge || (error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge();
    if (error instanceof ModbundleError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ModbundleError("ECOMPRESS", `${name}: cannot decompress ${kind} data: ${reason}`);
  }
  if (out.length > bound) throw tooLarge();
  if (expected !== undefined && out.length !== expected) {
    throw new ModbundleError("ECOMPRESS", `${name}: decompresses to ${out.length} bytes, the index records ${expected}`);
  }
  return out;
}

async function decode(kind: CompressionKind, data: Buffer, bound: number): Promise<Buffer> {
  switch (kind) {
    case "none":
      return data;
    case "gzip":
      return gunzip(data, bound);
    case "zstd":
      return decompressZstd(data, bound);
    case "xz":
      return decompressXz(data, bound);
  }
}

/**
 * zlib stops with ERR_BUFFER_TOO_LARGE as soon as its output would pass the bound. The callback
 * form, not gunzipSync: in Node 20 a gunzipSync that fails keeps its 16 KiB output chunk until the
 * event loop turns, and a chain of decodes that only awaits promises never lets it turn (a long
 * fuzz run of damaged modules grew past 1 GiB that way); the callback form releases its own.
 */
function gunzip(data: Buffer, bound: number): Promise<Buffer> {
  const zlib = process.getBuiltinModule("node:zlib");
  return new Promise((resolve, reject) => {
    zlib.gunzip(data, { maxOutputLength: Math.max(1, bound) }, (error, out) => (error ? reject(error) : resolve(out)));
  });
}

/**
 * The frames are walked first (headers and block sizes, nothing decoded): a declared content size
 * past the bound, or a window larger than zstd's own default limit, is refused before anything is
 * allocated. The decoder then fills one buffer of the declared sizes, or grows one and stops at
 * the bound when a frame does not declare its size.
 */
function decompressZstd(data: Buffer, bound: number): Buffer {
  const frames = walkZstdFrames(data);
  const declared = frames.reduce((sum, frame) => sum + (frame.contentSize ?? 0), 0);
  if (declared > bound) throw new TooLarge();
  for (const frame of frames) {
    if (frame.windowSize > ZSTD_WINDOW_MAX) {
      throw new Error(`frame at offset ${frame.offset} needs a ${frame.windowSize}-byte window (the limit is ${ZSTD_WINDOW_MAX})`);
    }
  }
  const decoder = loadOwnModule<typeof import("./zstd/decoder")>(path.join(__dirname, "..", "compress", "zstd", "decoder.js"));
  let decoded: Uint8Array;
  try {
    decoded = decoder.decodeZstd(data, frames, bound);
  } catch (error) {
    throw error instanceof decoder.ZstdOutputLimit ? new TooLarge() : error;
  }
  return Buffer.from(decoded.buffer, decoded.byteOffset, decoded.byteLength);
}

async function decompressXz(data: Buffer, bound: number): Promise<Buffer> {
  const { XzReadableStream } = require("xz-decompress") as typeof import("xz-decompress");
  const input = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      controller.close();
    },
  });
  const reader = new XzReadableStream(input).getReader();
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > bound) {
      // Stops the decoder and frees its context: nothing more is decoded.
      await reader.cancel();
      throw new TooLarge();
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return Buffer.concat(chunks, total);
}
/* eslint-enable @typescript-eslint/no-require-imports */
