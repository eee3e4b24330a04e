import { ModbundleError } from "../errors";
import { CompressionKind } from "./kind";

/**
 * User-space decompression, for modinfo, pack and kernels that cannot decompress a format
 * themselves. zstd uses fzstd (pure JavaScript: Node 20's zlib has no zstd and a native binding
 * would need a prebuilt binary); xz uses xz-decompress (xz-embedded compiled to WebAssembly);
 * gzip uses node:zlib. Each decoder is loaded only when first needed, so that commands which
 * never decompress do not pay for it at start-up.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- loading a decoder on demand is the point */
export async function decompress(kind: CompressionKind, data: Buffer, name: string): Promise<Buffer> {
  try {
    switch (kind) {
      case "none":
        return data;
      case "gzip":
        return process.getBuiltinModule("node:zlib").gunzipSync(data);
      case "zstd": {
        const fzstd = require("fzstd") as typeof import("fzstd");
        const out = fzstd.decompress(data);
        return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
      }
      case "xz":
        return await decompressXz(data);
    }
  } catch (error) {
    if (error instanceof ModbundleError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ModbundleError("ECOMPRESS", `${name}: cannot decompress ${kind} data: ${reason}`);
  }
}

async function decompressXz(data: Buffer): Promise<Buffer> {
  const { XzReadableStream } = require("xz-decompress") as typeof import("xz-decompress");
  const input = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      controller.close();
    },
  });
  const reader = new XzReadableStream(input).getReader();
  const chunks: Buffer[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return Buffer.concat(chunks);
}
/* eslint-enable @typescript-eslint/no-require-imports */
