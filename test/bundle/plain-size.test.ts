import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { crc32 } from "node:zlib";
import { describe, it } from "node:test";
import { FakeKernel } from "../../src/kernel/fake-kernel";
import { runModprobe } from "../../src/modprobe/run";
import { runInProcess } from "../helpers/inprocess";
import { kernelModule } from "../helpers/kernel-module";
import { openBundleFile, packTree } from "../helpers/pack";
import { tempDir } from "../helpers/paths";
import { writeTree } from "../helpers/tree";

/**
 * The decompressed size in the index bounds the loader: a member whose recorded size is made
 * smaller (every CRC recomputed, as a forger would) is refused when it is loaded, its decoder
 * stopped there, and nothing reaches the kernel.
 */
const VERSION = "6.1.0-plain";
const HEADER_DATA_OFFSET = 252;
const MEMBERS_SECTION = 3;
const MEMBER_BYTES = 32;

function reseal(bundle: Buffer, indexOffset: number): void {
  const count = bundle.readUInt32LE(indexOffset + 8);
  for (let i = 0; i < count; i++) {
    const entry = indexOffset + 16 + i * 16;
    const start = indexOffset + bundle.readUInt32LE(entry + 4);
    bundle.writeUInt32LE(crc32(bundle.subarray(start, start + bundle.readUInt32LE(entry + 8))), entry + 12);
  }
  bundle.writeUInt32LE(crc32(bundle.subarray(indexOffset, indexOffset + 16 + count * 16)), HEADER_DATA_OFFSET + 40);
}

function section(bundle: Buffer, indexOffset: number, id: number): number {
  const count = bundle.readUInt32LE(indexOffset + 8);
  for (let i = 0; i < count; i++) {
    if (bundle.readUInt32LE(indexOffset + 16 + i * 16) === id) return indexOffset + bundle.readUInt32LE(indexOffset + 20 + i * 16);
  }
  throw new Error(`no section ${id}`);
}

describe("the decompressed size recorded in the index", () => {
  for (const compression of ["xz", "zstd", "gzip"] as const) {
    it(`${compression}: pack records it, a smaller one stops the load`, async () => {
      const dir = path.join(tempDir("plain"), VERSION);
      const module = kernelModule("solo", { modinfo: ["description=".padEnd(20000, "x")] });
      writeTree(dir, { "kernel/solo.ko": module, "modules.order": "kernel/solo.ko\n" });
      const file = await packTree(dir, compression);
      const bundle = openBundleFile(file);
      const { indexOffset } = bundle.header;
      const member = bundle.index.member(bundle.index.moduleMember(bundle.index.findModule("solo")).index);
      bundle.close();
      assert.equal(member.plainSize, module.length);
      assert.ok(member.size < module.length);

      const damaged = fs.readFileSync(file);
      const record = section(damaged, indexOffset, MEMBERS_SECTION) + member.index * MEMBER_BYTES;
      assert.equal(damaged.readUInt32LE(record + 28), module.length);
      damaged.writeUInt32LE(4096, record + 28);
      reseal(damaged, indexOffset);
      fs.writeFileSync(file, damaged);

      const kernel = new FakeKernel();
      const root = tempDir("root");
      const result = await runInProcess(runModprobe, ["--bundle", file, "-d", root, "-S", VERSION, "solo"], { kernel });
      const stored = `${root}/lib/modules/${VERSION}/${member.path}`;
      assert.equal(result.stderr, `modprobe: ERROR: could not insert 'solo': ${stored}: decompresses to more than the 4096 bytes the index records\n`);
      assert.equal(result.status, 1);
      assert.deepEqual(kernel.calls, []);
    });
  }
});
