import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ModbundleError } from "../../src/errors";
import { BufferSource } from "../../src/io/byte-source";
import { KmodTrieReader } from "../../src/index/kmod-trie-reader";
import { KmodTrieWriter } from "../../src/index/kmod-trie-writer";
import { computeDepmodFiles } from "../../src/pack/depmod";
import { kmodAliasOrder } from "../../src/resolve/alias-order";
import { fnmatch } from "../../src/util/fnmatch";
import { buildModule } from "../helpers/elf-builder";
import { tempDir } from "../helpers/paths";
import { run, runCli } from "../helpers/run";
import { DEPMOD_BIN_FILES, depmodOf, writeTree } from "../helpers/tree";

/**
 * kmod's binary index: the writer and the reader against each other and against a brute-force
 * model of kmod's wildcard search, the builtin lists parsed as depmod parses them (compared with
 * Debian's depmod), and damaged files that must give one line naming the file, never a crash or
 * a hang.
 */

/** A small deterministic generator (mulberry32), so that every failure replays from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function trieOf(entries: ReadonlyArray<[string, string, number]>): KmodTrieReader {
  const writer = new KmodTrieWriter();
  for (const [key, value, priority] of entries) writer.insert(key, value, priority);
  return KmodTrieReader.open(new BufferSource(writer.toBuffer(), "test.bin"));
}

describe("kmod trie writer and reader", () => {
  it("finds every key's first value, and nothing for other keys", () => {
    const trie = trieOf([["ask", "1", 0], ["ate", "2", 0], ["on", "3", 0], ["once", "4", 0], ["one", "5", 0], ["one", "6", 1]]);
    assert.deepEqual(["ask", "ate", "on", "once", "one"].map((k) => trie.search(k)), ["1", "2", "3", "4", "5"]);
    for (const missing of ["", "a", "as", "asks", "o", "onc", "x"]) assert.equal(trie.search(missing), undefined, missing);
    const dumped: string[] = [];
    trie.forEach((key, value) => dumped.push(`${key} ${value}`));
    assert.deepEqual(dumped, ["ask 1", "ate 2", "on 3", "once 4", "one 5", "one 6"]);
  });

  it("an empty trie is twelve bytes and finds nothing", () => {
    const file = new KmodTrieWriter().toBuffer();
    assert.equal(file.toString("hex"), "b007f457000200010000000c");
    const trie = KmodTrieReader.open(new BufferSource(file));
    assert.equal(trie.search("x"), undefined);
    assert.deepEqual(trie.searchWild("x"), []);
  });

  it("wildcard search returns what fnmatch finds, in kmod's order (seeded random patterns)", () => {
    const next = random(20261201);
    const pick = (alphabet: string): string => alphabet[Math.floor(next() * alphabet.length)];
    for (let round = 0; round < 40; round++) {
      const aliases: Array<{ key: string; target: string; priority: number }> = [];
      for (let i = 0; i < 60; i++) {
        let key = "";
        const length = 1 + Math.floor(next() * 6);
        for (let k = 0; k < length; k++) {
          const c = pick("ab*?[");
          key += c === "[" ? "[ab]" : c;
        }
        const module = Math.floor(next() * 12);
        aliases.push({ key, target: `m${module}`, priority: module });
      }
      const trie = trieOf(aliases.map((a) => [a.key, a.target, a.priority]));
      for (let q = 0; q < 30; q++) {
        let query = "";
        const length = Math.floor(next() * 6);
        for (let k = 0; k < length; k++) query += pick("abc");
        const expected = kmodAliasOrder(aliases.filter((a) => fnmatch(a.key, query)).map((a, i) => ({ ...a, alias: i }))).map((m) => `${m.priority}:${m.target}`);
        const actual = trie.searchWild(query).map((v) => `${v.priority}:${v.value}`);
        // Same multiset of results, and the same priority sequence (equal priorities name one module).
        assert.deepEqual(actual, expected, `round ${round}, query "${query}"`);
      }
    }
  });
});

describe("builtin lists as depmod reads them", () => {
  it("modules.builtin.bin and modules.builtin.alias.bin equal Debian depmod's", async () => {
    const modinfo = [
      "ext4.alias=fs-ext4",
      "ext4.description=Fourth Extended Filesystem",
      "ext4.alias=fs-ext3",
      "crc32c_generic.alias=crypto-crc32c",
      "crc32c_generic.alias=crypto-crc32c-generic",
      "other.alias=fs-ext4",
      "usbcore.alias=usb:v*p*d*dc09dsc*dp*ic*isc*ip*in*",
      "tty.alias=char-major-4-*",
      "weird.alias=pci:v[0-9]d-x-y",
      "noalias",
      "nodot=1",
      ".alias=empty-module",
      "emptyvalue.alias=",
      "bad.alias=brack]et",
      "last.alias=the-end",
    ].join("\0") + "\0";
    const builtin = ["kernel/fs/ext4/ext4.ko", "kernel/crypto/crc32c_generic.ko", "kernel/drivers/usb/core/usbcore.ko", "9bad-line.ko", "kernel/fs/ext4/ext4.ko", "kernel/net/some-thing.ko", ""].join("\n");
    const dir = path.join(tempDir("builtin"), "6.1.0-test");
    writeTree(dir, {
      "kernel/drivers/a.ko": buildModule({ modinfo: ["alias=a-alias"] }),
      "modules.order": "kernel/drivers/a.ko\n",
      "modules.builtin": builtin,
      "modules.builtin.modinfo": modinfo,
    });
    const expected = depmodOf(dir, "6.1.0-test");
    assert.equal(expected.status, 0, expected.stderr);
    const ours = new Map((await computeDepmodFiles(dir, "6.1.0-test")).map((f) => [f.name as string, f.data.toString("latin1")]));
    for (const name of DEPMOD_BIN_FILES) assert.ok(ours.get(name) === expected.files[name], `${name} differs from depmod's`);
    const aliases = KmodTrieReader.open(new BufferSource(Buffer.from(ours.get("modules.builtin.alias.bin") as string, "latin1")));
    assert.deepEqual(aliases.searchWild("fs-ext4".replace(/-/g, "_")).map((v) => v.value), ["ext4", "other"]);
    // The command, on a mirror of symbolic links (lists included), as depmod reads one.
    const base = tempDir("depmod-cli");
    fs.mkdirSync(path.join(base, "lib", "modules"), { recursive: true });
    assert.equal(run("cp", ["-rs", dir, path.join(base, "lib", "modules", "6.1.0-test")]).status, 0);
    const result = runCli(["depmod", "-b", base, "6.1.0-test"]);
    assert.deepEqual([result.status, result.stderr], [0, ""]);
    for (const name of DEPMOD_BIN_FILES) {
      assert.ok(fs.readFileSync(path.join(base, "lib", "modules", "6.1.0-test", name), "latin1") === expected.files[name], `modbundle depmod: ${name}`);
    }
    fs.rmSync(base, { recursive: true, force: true });
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });
});

describe("damaged kmod indexes", () => {
  const sample = (() => {
    const writer = new KmodTrieWriter();
    const patterns = ["pci:v00008086d*sv*sd*bc*sc*i*", "pci:v*d*sv*sd*bc0Csc03i30*", "usb:v1D6Bp0002d*", "fs_vfat", "char_major_116_*", "of:N*T*Cfoo,bar", "acpi*:PNP0A03:*", "[ab]*x?"];
    patterns.forEach((p, i) => writer.insert(p, `mod${i}`, i));
    for (let i = 0; i < 200; i++) writer.insert(`symbol:sym_${i.toString(36)}`, `owner${i % 7}`, i % 7);
    return writer.toBuffer();
  })();
  const queries = ["pci:v00008086d00001234sv0sd0bc0Csc03i30", "fs_vfat", "usb:v1D6Bp0002d0100", "symbol:sym_1z", "zzz", ""];

  /** Every operation either works or fails with one line that names the file. */
  function exercise(data: Buffer): void {
    try {
      const trie = KmodTrieReader.open(new BufferSource(data, "/x/modules.alias.bin"));
      for (const q of queries) {
        trie.search(q);
        trie.searchWild(q);
      }
      trie.forEach(() => undefined);
    } catch (error) {
      assert.ok(error instanceof ModbundleError, `not a ModbundleError: ${String(error)}`);
      assert.ok(error.message.startsWith("/x/modules.alias.bin: "), error.message);
      assert.ok(!error.message.includes("\n"), error.message);
    }
  }

  it("every truncation, and child offsets that loop back to the root, fail in one line (test/fuzz/kmod-index.test.ts mutates at random)", () => {
    for (let length = 0; length < sample.length; length++) exercise(sample.subarray(0, length));
    // Post-order: the root is written last, its child table after its prefix. Point every child at the root.
    const root = sample.readUInt32BE(8);
    const looped = Buffer.from(sample);
    let loops = 0;
    for (let at = 12; at + 4 <= looped.length; at++) {
      const word = looped.readUInt32BE(at);
      if ((word & 0x0fffffff) === (root & 0x0fffffff) || (word >>> 28 === 0 || (word & 0x0fffffff) >= looped.length)) continue;
      const copy = Buffer.from(looped);
      copy.writeUInt32BE(root, at);
      assert.throws(() => {
        const trie = KmodTrieReader.open(new BufferSource(copy, "/x/modules.alias.bin"));
        trie.forEach(() => undefined);
        for (const q of queries) trie.searchWild(q);
      }, ModbundleError);
      exercise(copy);
      loops++;
    }
    assert.ok(loops > 10, `${loops} offset words replaced`);
  });

  it("a damaged modules.alias.bin in a module directory: one line naming it, exit 1", () => {
    const base = tempDir("damaged");
    const dirname = path.join(base, "lib", "modules", "6.1.0-test");
    const good = new KmodTrieWriter();
    good.insert("a", "kernel/a.ko:", 0);
    const bad = Buffer.from(sample);
    bad.writeUInt32BE((0xe0000000 | 12) >>> 0, 8);
    writeTree(dirname, { "modules.dep.bin": good.toBuffer(), "modules.alias.bin": bad, "kernel/a.ko": "" });
    const result = runCli(["modprobe", "-d", base, "-S", "6.1.0-test", "-R", "pci:v00008086d00001234sv0sd0bc0Csc03i30"]);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, new RegExp(`^modprobe: ERROR: ${dirname}/modules\\.alias\\.bin: corrupt kmod index: [^\\n]*\\n$`));
    const shown = runCli(["modprobe", "-d", base, "-S", "6.1.0-test", "--show-depends", "a"]);
    assert.equal(shown.stdout, `insmod ${dirname}/kernel/a.ko \n`);
    fs.rmSync(base, { recursive: true, force: true });
  });
});
