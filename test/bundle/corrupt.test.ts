import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { Bundle } from "../../src/bundle/reader";
import { verifyBundle } from "../../src/bundle/verify";
import { ModbundleError } from "../../src/errors";
import { INDEX_DIRECTORY_MAX } from "../../src/bundle/index-codec";
import { BufferSource, ByteSource, FileSource } from "../../src/io/byte-source";
import { packTree } from "../helpers/pack";
import { tempDir } from "../helpers/paths";
import { runCli } from "../helpers/run";
import { smallTree } from "../helpers/small-tree";

/**
 * Damaged and hostile bundles: each case names the damage and the message it must produce. Every
 * case is read through each ByteSource, and through the CLI, which must print one line and exit 1.
 */
let good: Buffer;

before(async () => {
  good = fs.readFileSync(await packTree(smallTree()));
  assert.equal(good.toString("latin1", HEADER_DATA_OFFSET, HEADER_DATA_OFFSET + 8), "MODBUNDL");
});

/** After the ".modbundle" (124 bytes) and ".modbundle/header" (128 bytes) cpio heads. */
const HEADER_DATA_OFFSET = 252;

function headerField(bundle: Buffer, at: number): number {
  return Number(bundle.readBigUInt64LE(HEADER_DATA_OFFSET + at));
}

function indexOf(bundle: Buffer): { offset: number; length: number } {
  return { offset: headerField(bundle, 16), length: headerField(bundle, 24) };
}

/** Rewrites every section's CRC-32 and the section table's, as a hostile author would. */
function resealIndex(bundle: Buffer): Buffer {
  const { offset } = indexOf(bundle);
  const count = bundle.readUInt32LE(offset + 8);
  for (let i = 0; i < count; i++) {
    const entry = offset + 16 + i * 16;
    const start = offset + bundle.readUInt32LE(entry + 4);
    bundle.writeUInt32LE(crc32(bundle.subarray(start, start + bundle.readUInt32LE(entry + 8))), entry + 12);
  }
  bundle.writeUInt32LE(crc32(bundle.subarray(offset, offset + 16 + count * 16)), HEADER_DATA_OFFSET + 40);
  return bundle;
}

/** The byte offset of a section of the index, from its section table. */
function indexSection(bundle: Buffer, id: number): number {
  const { offset } = indexOf(bundle);
  const count = bundle.readUInt32LE(offset + 8);
  for (let i = 0; i < count; i++) {
    if (bundle.readUInt32LE(offset + 16 + i * 16) === id) return offset + bundle.readUInt32LE(offset + 20 + i * 16);
  }
  throw new Error(`no section ${id}`);
}

function memberOffset(bundle: Buffer, name: string): number {
  const at = bundle.indexOf(Buffer.from(name + "\0"));
  assert.ok(at > 0, `member ${name} not found`);
  return at + name.length + 1 + ((4 - ((110 + name.length + 1) % 4)) % 4);
}

interface Damage {
  readonly name: string;
  readonly damage: (b: Buffer) => Buffer;
  /** Expected at open, or (when `atVerify`) from verify. */
  readonly message: RegExp;
  readonly atVerify?: boolean;
}

const CASES: Damage[] = [
  { name: "empty file", damage: () => Buffer.alloc(0), message: /not a modbundle file \(0 bytes is too short\)/ },
  { name: "truncated in the header", damage: (b) => b.subarray(0, 200), message: /truncated/ },
  { name: "truncated in the modules", damage: (b) => b.subarray(0, Math.floor(b.length / 2)), message: /truncated bundle: \d+ bytes, the header says \d+/ },
  { name: "truncated by one byte", damage: (b) => b.subarray(0, b.length - 1), message: /truncated bundle/ },
  { name: "wrong cpio magic", damage: (b) => { b.write("070707", 0, "latin1"); return b; }, message: /not a newc cpio header \(magic 303730373037/ },
  { name: "not a bundle (plain cpio)", damage: (b) => { b.write("kernel", 110, "latin1"); return b; }, message: /not a modbundle file \(first member is "kernel/ },
  { name: "wrong header magic", damage: (b) => { b.write("XODBUNDL", HEADER_DATA_OFFSET, "latin1"); return b; }, message: /bad bundle header magic 584f4442554e444c/ },
  { name: "unknown format version", damage: (b) => { b.writeUInt32LE(99, HEADER_DATA_OFFSET + 8); return b; }, message: /unsupported bundle format version 99 \(this modbundle reads version 1\)/ },
  { name: "index offset beyond the file", damage: (b) => { b.writeBigUInt64LE(1n << 40n, HEADER_DATA_OFFSET + 16); return b; }, message: /index: range \d+\+\d+ exceeds/ },
  { name: "huge index length", damage: (b) => { b.writeBigUInt64LE(1n << 62n, HEADER_DATA_OFFSET + 24); return b; }, message: /index length \d+ is out of range/ },
  { name: "corrupted index table", damage: (b) => { const { offset } = indexOf(b); b[offset + 40] ^= 0x01; return b; }, message: /index checksum mismatch \(corrupt index\)/ },
  { name: "corrupted index section", damage: (b) => { b[indexSection(b, 4) + 5] ^= 0x01; return b; }, message: /index checksum mismatch in section Modules \(corrupt index\)/ },
  { name: "hostile index: module member out of range", damage: (b) => { b.writeUInt32LE(999, indexSection(b, 4) + 8); return resealIndex(b); }, message: /corrupt index: module 0 member 999 is out of range/ },
  { name: "hostile index: string outside the table", damage: (b) => { b.writeUInt32LE(0x7fffffff, indexSection(b, 4)); return resealIndex(b); }, message: /corrupt index: string 2147483647\+\d+ lies outside the string table/ },
  { name: "hostile index: dependency out of range", damage: (b) => { b.writeUInt32LE(77, indexSection(b, 6)); return resealIndex(b); }, message: /corrupt index: dependency 77 is out of range/ },
  { name: "hostile index: member beyond the index", damage: (b) => { b.writeUInt32LE(0x10000, indexSection(b, 3) + 12); return resealIndex(b); }, message: /member modules\.builtin: range \d+\+23 exceeds the \d+ bytes available/ },
  { name: "hostile index: bad section table", damage: (b) => { const { offset } = indexOf(b); b.writeUInt32LE(0xfffffff0, offset + 20); return resealIndex(b); }, message: /corrupt index: section 1 at 4294967280\+\d+ lies outside the index/ },
  { name: "flipped byte inside a module", damage: (b) => { b[memberOffset(b, "kernel/lib/mid.ko") + 100] ^= 0x40; return b; }, message: /checksum mismatch in kernel\/lib\/mid\.ko/, atVerify: true },
  { name: "renamed member", damage: (b) => { const at = b.indexOf(Buffer.from("kernel/lib/mid.ko\0")); b.write("kernel/lib/mad.ko", at, "latin1"); return b; }, message: /member kernel\/lib\/mid\.ko: cpio header disagrees with the index \(name "kernel\/lib\/mad\.ko"/, atVerify: true },
];

function sources(bytes: Buffer, label: string): Array<[string, () => ByteSource]> {
  const file = path.join(tempDir("corrupt"), label.replace(/[^a-z0-9]+/gi, "-"));
  fs.writeFileSync(file, bytes);
  return [
    ["BufferSource", () => new BufferSource(bytes, label)],
    ["FileSource", () => FileSource.open(file)],
  ];
}

function openAndVerify(source: ByteSource): void {
  const bundle = Bundle.open(source);
  try {
    const { problems } = verifyBundle(bundle);
    if (problems.length > 0) throw new ModbundleError("ECHECKSUM", problems.map((p) => p.message).join("\n"));
  } finally {
    bundle.close();
  }
}

describe("damaged bundles", () => {
  it("the undamaged bundle opens and verifies through every source", () => {
    for (const [, open] of sources(Buffer.from(good), "good")) openAndVerify(open());
  });

  for (const c of CASES) {
    it(`${c.name}: ${c.message.source}`, () => {
      const bytes = c.damage(Buffer.from(good));
      for (const [sourceName, open] of sources(bytes, c.name)) {
        assert.throws(
          () => openAndVerify(open()),
          (error: unknown) => {
            assert.ok(error instanceof ModbundleError, `${sourceName}: not a ModbundleError: ${String(error)}`);
            assert.match(error.message, c.message, sourceName);
            return true;
          },
        );
        if (c.atVerify) Bundle.open(open()).close(); // damage confined to a member does not stop opening
      }
      const file = path.join(tempDir("cli"), "bundle");
      fs.writeFileSync(file, bytes);
      const result = runCli(["verify", file]);
      assert.equal(result.status, 1);
      const lines = result.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, `expected one line, got: ${result.stderr}`);
      assert.match(lines[0], /^modbundle: ERROR: /);
      assert.match(lines[0], c.message);
    });
  }

  it("a read failing at any point reaches the caller as an error", () => {
    const bytes = Buffer.from(good);
    let failures = 0;
    for (let failAt = 1; failAt <= 3; failAt++) {
      let reads = 0;
      const inner = new BufferSource(bytes, "failing");
      const failing: ByteSource = {
        name: "failing",
        size: inner.size,
        readAt(offset, length) {
          if (++reads === failAt) throw new ModbundleError("EIO", `failing: read at offset ${offset}: Input/output error`);
          return inner.readAt(offset, length);
        },
        close() {},
      };
      try {
        openAndVerify(failing);
      } catch (error) {
        assert.ok(error instanceof ModbundleError);
        assert.match(error.message, /Input\/output error/);
        failures++;
      }
    }
    assert.equal(failures, 3);
  });

  it("opening reads the file twice: the first block, then the index", () => {
    const inner = new BufferSource(Buffer.from(good), "counted");
    const reads: Array<[number, number]> = [];
    const counted: ByteSource = { name: "counted", size: inner.size, readAt: (o, l) => (reads.push([o, l]), inner.readAt(o, l)), close() {} };
    Bundle.open(counted);
    assert.equal(reads.length, 2);
    assert.deepEqual(reads[0], [0, 512]);
    assert.deepEqual(reads[1], [indexOf(good).offset, Math.min(INDEX_DIRECTORY_MAX, indexOf(good).length)]);
  });
});
