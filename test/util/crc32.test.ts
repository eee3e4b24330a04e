import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as zlib from "node:zlib";
import { spawnSync } from "node:child_process";
import { CRC_MODULE_BASE64, Crc32, crc32, nativeCrc32, webAssemblyCrc32 } from "../../src/util/crc32";
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

  const native = nativeCrc32();
  const implementations: Array<[string, Crc32]> = [
    ["crc32", (data, previous) => crc32(data, previous)],
    ["the WebAssembly function", webAssemblyCrc32()],
    ...(native ? [["Node's native one", native] as [string, Crc32]] : []),
  ];

  it("uses Node's native CRC-32 where the zlib binding has one (Node 20.15 and later)", () => {
    assert.equal(native !== undefined, typeof zlib.crc32 === "function");
  });

  it("does not call the deprecated binding when deprecation warnings of pending deprecations are asked for", () => {
    assert.equal(nativeCrc32({ NODE_PENDING_DEPRECATION: "1" }, []), undefined);
    assert.equal(nativeCrc32({}, ["--pending-deprecation"]), undefined);
    assert.equal(nativeCrc32({ NODE_OPTIONS: "--max-old-space-size=100 --pending_deprecation" }, []), undefined);
    assert.equal(nativeCrc32({ NODE_OPTIONS: "--pending-deprecation-x" }, []) !== undefined, native !== undefined);
  });

  for (const [name, crc] of implementations) {
    it(`${name}: is zlib's CRC-32 for every length around the 8-byte steps and the 64 KiB window`, () => {
      const lengths = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 4096, 65535, 65536, 65537, 200003, 1 << 20];
      for (const length of lengths) {
        const data = bytes(length, length + 1);
        assert.equal(crc(data, 0), zlib.crc32(data), `length ${length}`);
      }
    });

    it(`${name}: reads views at any offset, and continues from a previous value`, () => {
      const data = bytes(150001, 7);
      for (const start of [1, 2, 3, 5, 4097]) {
        const view = data.subarray(start, data.length - start);
        assert.equal(crc(view, 0), zlib.crc32(view), `offset ${start}`);
      }
      const whole = crc(data, 0);
      assert.equal(crc(data.subarray(70000), crc(data.subarray(0, 70000), 0)), whole);
      assert.equal(crc(Buffer.from("123456789", "latin1"), 0), 0xcbf43926, "the standard check value");
    });
  }

  it("prints no warning in a process that checks a bundle (no deprecation of process.binding is shown)", () => {
    const script = `require(${JSON.stringify(require.resolve("../../src/util/crc32"))}).crc32(Buffer.from("x")); setTimeout(() => {}, 20);`;
    for (const env of [{}, { NODE_PENDING_DEPRECATION: "1" }, { NODE_OPTIONS: "--pending-deprecation" }]) {
      const run = spawnSync(process.execPath, ["-e", script], { env: { ...process.env, ...env }, encoding: "utf8" });
      assert.equal(run.stderr, "", JSON.stringify(env));
      assert.equal(run.status, 0);
    }
  });
});
