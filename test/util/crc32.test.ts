import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as zlib from "node:zlib";
import { CRC_MODULE_BASE64, crc32 } from "../../src/util/crc32";
import { crcModuleBytes } from "./crc32-module";

/** Deterministic bytes, so that a failure can be reproduced. */
function bytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe("crc32", () => {
  it("runs the module that the readable assembler produces", () => {
    assert.equal(Buffer.from(crcModuleBytes()).toString("base64"), CRC_MODULE_BASE64);
  });

  it("is zlib's CRC-32 for every length around the 8-byte steps and the 64 KiB window", () => {
    const lengths = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 4096, 65535, 65536, 65537, 200003, 1 << 20];
    for (const length of lengths) {
      const data = bytes(length, length + 1);
      assert.equal(crc32(data), zlib.crc32(data), `length ${length}`);
    }
  });

  it("reads views at any offset, and continues from a previous value", () => {
    const data = bytes(150001, 7);
    for (const start of [1, 2, 3, 5, 4097]) {
      const view = data.subarray(start, data.length - start);
      assert.equal(crc32(view), zlib.crc32(view), `offset ${start}`);
    }
    const whole = crc32(data);
    assert.equal(crc32(data.subarray(70000), crc32(data.subarray(0, 70000))), whole);
    assert.equal(crc32(Buffer.from("123456789", "latin1")), 0xcbf43926, "the standard check value");
  });
});
