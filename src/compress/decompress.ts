import zlib = require("node:zlib");
import { ModbundleError } from "../errors";
import { CompressionKind } from "./kind";

/**
 * User-space decompression, for modinfo, pack and kernels that cannot decompress a format
 * themselves. zstd uses fzstd (pure JavaScript: Node 20's zlib has no zstd and a native binding
 * would need a prebuilt binary); xz uses xz-decompress (xz-embedded compiled to WebAssembly);
 * gzip uses node:zlib. Each decoder is loaded only when first needed, so that commands which
 * never decompress do not pay for it at start-up.
 */
export async function decompress(kind: CompressionKind, data: Buffer, name: string): Promise<Buffer> {
  try {
    switch (kind) {
      case "none":
        return data;
      case "gzip":
        return zlib.gunzipSync(data);
      case "zstd": {
        const fzstd = await import("fzstd");
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
  const loaded = await import("xz-decompress");
  // Node's import() of this CommonJS package exposes its exports as `default`; a bundle, directly.
  const XzReadableStream = loaded.XzReadableStream ?? (loaded as unknown as { default: typeof loaded }).default.XzReadableStream;
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
