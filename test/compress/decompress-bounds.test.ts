import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { compress } from "../../src/compress/compress";
import { MAX_MODULE_SIZE, decompress } from "../../src/compress/decompress";
import { ZSTD_WINDOW_MAX } from "../../src/compress/zstd/frames";
import { ModbundleError } from "../../src/errors";
import { gzipBomb, xzBomb, zstdBomb, zstdClaiming } from "../helpers/bombs";
import { kernelModule } from "../helpers/kernel-module";
import { tempDir } from "../helpers/paths";
import { runCli } from "../helpers/run";
import { writeTree } from "../helpers/tree";

/**
 * Decompression is bounded, and the decoder stops at the bound: a bundle member must decompress to
 * exactly the size its index records, anything else to at most MAX_MODULE_SIZE (512 MiB).
 */
const MiB = 1024 * 1024;
const KINDS = ["gzip", "zstd", "xz"] as const;

function rejects(message: RegExp): (error: unknown) => boolean {
  return (error) => error instanceof ModbundleError && error.code === "ECOMPRESS" && message.test(error.message) && !error.message.includes("\n");
}

describe("decompression bounded by the size the index records", () => {
  const plain = Buffer.alloc(MiB);
  for (let i = 0; i < plain.length; i += 4) plain.writeUInt32LE(i * 2654435761 >>> 0, i);

  for (const kind of KINDS) {
    it(`${kind}: exactly the recorded size is accepted, more or less is refused`, async () => {
      const data = compress(kind, plain, `x.ko`);
      assert.ok((await decompress(kind, data, "x.ko", { expectedSize: MiB })).equals(plain));
      await assert.rejects(decompress(kind, data, "m/x.ko", { expectedSize: 1000 }), rejects(/^m\/x\.ko: decompresses to more than the 1000 bytes the index records$/));
      await assert.rejects(decompress(kind, data, "x.ko", { expectedSize: 2 * MiB }), rejects(/decompresses to 1048576 bytes, the index records 2097152$/));
    });
  }

  it("a 600 MiB bomb recorded as 1 KiB stops at once, in every format", async () => {
    for (const [kind, bomb] of [["zstd", zstdBomb(600)], ["gzip", gzipBomb(600)], ["xz", xzBomb(600)]] as const) {
      const before = process.memoryUsage().rss;
      const started = performance.now();
      await assert.rejects(decompress(kind, bomb, "bomb.ko", { expectedSize: 1024 }), rejects(/more than the 1024 bytes/));
      assert.ok(performance.now() - started < 5000, `${kind} took ${performance.now() - started} ms`);
      assert.ok(process.memoryUsage().rss - before < 64 * MiB, `${kind} grew RSS by ${(process.memoryUsage().rss - before) / MiB} MiB`);
    }
  });
});

describe("zstd frames are refused on what they claim, before anything is allocated", () => {
  it("a declared content size past the bound", async () => {
    await assert.rejects(decompress("zstd", zstdClaiming(1n << 40n), "claim.ko"), rejects(/claim\.ko: decompresses to more than 536870912 bytes/));
    await assert.rejects(decompress("zstd", zstdClaiming(4096n), "claim.ko", { expectedSize: 1024 }), rejects(/more than the 1024 bytes/));
  });

  it("a window larger than zstd's own default limit", async () => {
    // Window descriptor exponent 21: a 2 GiB window, no content size.
    const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3, 1 | (1 << 1) | (1 << 3), 0, 0, 0x41]);
    await assert.rejects(decompress("zstd", frame, "wide.ko"), rejects(new RegExp(`wide\\.ko: cannot decompress zstd data: frame at offset 0 needs a 2147483648-byte window \\(the limit is ${ZSTD_WINDOW_MAX}\\)`)));
  });

  it("a damaged frame structure", async () => {
    await assert.rejects(decompress("zstd", Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x08]), "bad.ko"), rejects(/bad\.ko: cannot decompress zstd data: reserved bit/));
    await assert.rejects(decompress("zstd", zstdBomb(1).subarray(0, 20), "cut.ko"), rejects(/cut\.ko: cannot decompress zstd data: truncated block header/));
  });
});

describe("pack stops decoding a module past 512 MiB, naming it", () => {
  for (const kind of KINDS) {
    it(`${kind}`, { timeout: 180_000 }, () => {
      const bomb = kind === "zstd" ? zstdBomb(600) : kind === "gzip" ? gzipBomb(600) : xzBomb(600);
      const suffix = { zstd: ".zst", gzip: ".gz", xz: ".xz" }[kind];
      const dir = path.join(tempDir("bomb"), "6.1.0-bomb");
      writeTree(dir, { "kernel/ok.ko": kernelModule("ok"), [`kernel/bomb.ko${suffix}`]: bomb, "modules.order": "kernel/ok.ko\n" });
      const out = path.join(path.dirname(dir), "modules.bundle");
      const result = runCli(["pack", dir, "-o", out]);
      // A broken module as depmod treats one: reported, stored as it is, listed with nothing.
      assert.equal(result.stderr, `modbundle: ERROR: failed to load symbols from ${dir}/kernel/bomb.ko${suffix}: decompresses to more than ${MAX_MODULE_SIZE} bytes (the limit for a module)\n`);
      assert.equal(result.status, 0);
      assert.match(runCli(["list", out]).stdout, new RegExp(`^kernel/bomb\\.ko\\${suffix}$`, "m"));
    });
  }
});
