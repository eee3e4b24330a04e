import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { decompress } from "../../src/compress/decompress";
import { ModbundleError } from "../../src/errors";
import { moduleSamples } from "../fuzz/fixtures";

/**
 * The zstd decoder (src/compress/zstd/): what the zstd tool writes decodes to its input, and
 * hand-made frames that made fzstd, its origin, loop for ever or decode wrongly are refused at
 * once, in one line.
 */
const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

function blockHeader(last: boolean, type: number, size: number): number[] {
  const header = (last ? 1 : 0) | (type << 1) | (size << 3);
  return [header & 0xff, (header >> 8) & 0xff, header >> 16];
}

function zstdTool(args: readonly string[], input: Buffer): Buffer {
  const result = spawnSync("zstd", ["-q", "-c", "-T1", ...args], { input, maxBuffer: 1 << 28 });
  assert.equal(result.status, 0, result.stderr?.toString());
  return result.stdout;
}

async function refusal(data: Buffer, expectedSize?: number): Promise<string> {
  const started = performance.now();
  try {
    await decompress("zstd", data, "hand.ko", { expectedSize });
  } catch (error) {
    assert.ok(performance.now() - started < 1000, `took ${Math.round(performance.now() - started)} ms`);
    assert.ok(error instanceof ModbundleError, String(error));
    assert.ok(!error.message.includes("\n"));
    return error.message;
  }
  assert.fail("decoded");
}

describe("zstd decoder: what the zstd tool writes", () => {
  const samples = moduleSamples().slice(0, 4);
  const settings: ReadonlyArray<readonly string[]> = [["-1"], ["-19"], ["-3", "--no-content-size"], ["-3", "--no-check"], ["--ultra", "-22", "--long=24"]];
  for (const args of settings) {
    it(`zstd ${args.join(" ")} decodes to the input, with and without the recorded size`, async () => {
      for (const sample of samples) {
        const packed = zstdTool(args, sample.data);
        assert.ok((await decompress("zstd", packed, sample.name)).equals(sample.data), sample.name);
        assert.ok((await decompress("zstd", packed, sample.name, { expectedSize: sample.data.length })).equals(sample.data), sample.name);
      }
    });
  }

  it("frames back to back decode to their inputs one after the other", async () => {
    const [a, b] = samples;
    const packed = Buffer.concat([zstdTool(["-19"], a.data), zstdTool(["-1", "--no-content-size"], b.data)]);
    assert.ok((await decompress("zstd", packed, "two.ko")).equals(Buffer.concat([a.data, b.data])));
  });
});

describe("zstd decoder: hostile frames end at once", () => {
  it("Huffman weights whose FSE table gives one symbol the whole probability (every state reads 0 bits)", async () => {
    // FSE description, accuracy log 5: symbol 0 probability 0 (value 1 in 5 bits), no more
    // zeros (2 bits), symbol 1 probability 32 (value 33 in 6 bits): 17 bits.
    const description = [0x10, 0xf8, 0x01];
    // Two 5-bit initial states below the end mark; after them every state reads nothing.
    const bitstream = [0x00, 0x04];
    const weights = [description.length + bitstream.length, ...description, ...bitstream];
    const literalsSize = 10;
    const compressedSize = weights.length + 1;
    const literalsHeader = [2 | ((literalsSize & 15) << 4), (literalsSize >> 4) | ((compressedSize & 3) << 6), compressedSize >> 2];
    const block = [...literalsHeader, ...weights, 0x80, 0x00];
    const frame = Buffer.from([...MAGIC, 0x20, literalsSize, ...blockHeader(true, 2, block.length), ...block]);
    assert.match(await refusal(frame), /^hand\.ko: cannot decompress zstd data: block at offset 6: more than 255 Huffman weights$/);
  });

  it("98303 sequences each asking for a 64 KiB match, in a block of at most 1 KiB", async () => {
    const history = Array.from({ length: 16 }, (_, i) => i);
    // Raw literals of size 0; 0xffff + 0x7f00 sequences; every code in RLE mode: literal
    // length 0, offset code 0 (repeat offset 2, 4), match length code 52 (65539 + 16 bits).
    const block = [0x00, 0xff, 0xff, 0xff, 0x54, 0, 0, 52, 0x00, 0x00, 0x01];
    const frame = Buffer.from([...MAGIC, 0x00, 0x00, ...blockHeader(false, 0, 16), ...history, ...blockHeader(true, 2, block.length), ...block]);
    assert.match(await refusal(frame), /block at offset 25: a block decodes to more than its room$/);
  });

  it("a match reaching before the frame's first byte, and an offset of 0", async () => {
    // Offset code 5: offset (32 + 5 bits) - 3, with 16 bytes of history.
    const history = Array.from({ length: 16 }, (_, i) => i);
    const far = [0x00, 0x01, 0x54, 0, 5, 0, 0x20];
    const frame = Buffer.from([...MAGIC, 0x00, 0x00, ...blockHeader(false, 0, 16), ...history, ...blockHeader(true, 2, far.length), ...far]);
    assert.match(await refusal(frame), /match offset before the frame's start$/);
    // Offset code 1 with its extra bit 1: value 3, no literals: the first repeat offset less one.
    const zero = [0x00, 0x01, 0x54, 0, 1, 0, 0x03];
    const first = Buffer.from([...MAGIC, 0x00, 0x00, ...blockHeader(true, 2, zero.length), ...zero]);
    assert.match(await refusal(first), /block at offset 6: match offset 0$/);
  });

  it("a frame that decodes to more, or less, than it declares", async () => {
    const bytes = Array.from({ length: 15 }, (_, i) => i);
    // Single segment: the declared size is also the window, and so the largest block.
    const declares = (size: number): Buffer =>
      Buffer.from([...MAGIC, 0x20, size, ...blockHeader(false, 0, bytes.length), ...bytes, ...blockHeader(true, 0, bytes.length), ...bytes]);
    assert.match(await refusal(declares(20)), /frame at offset 0 decodes to more than the 20 bytes it declares$/);
    assert.match(await refusal(declares(40)), /frame at offset 0 decodes to 30 bytes, not the 40 it declares$/);
  });

  it("a sequence code above the format's maximum", async () => {
    const block = [0x00, 0x01, 0x54, 36, 0, 0, 0x01];
    const frame = Buffer.from([...MAGIC, 0x00, 0x00, ...blockHeader(true, 2, block.length), ...block]);
    assert.match(await refusal(frame), /sequence code 36 above 35$/);
  });
});
