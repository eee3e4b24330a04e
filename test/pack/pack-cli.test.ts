import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { BundleWriter } from "../../src/bundle/writer";
import { encodeIndex } from "../../src/bundle/index-codec";
import { decompress } from "../../src/compress/decompress";
import { detectCompression } from "../../src/compress/kind";
import { buildModule } from "../helpers/elf-builder";
import { DEPMOD_TEXT_FILES, depmodOf, writeTree } from "../helpers/tree";
import { CLI, tempDir } from "../helpers/paths";
import { spawnSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import { runCli } from "../helpers/run";
import { SMALL_VERSION, smallTree } from "../helpers/small-tree";

describe("pack, unpack, list, info, verify", () => {
  for (const kind of ["none", "xz", "zstd", "gzip"] as const) {
    it(`--compress ${kind} re-encodes every module and keeps its contents`, async () => {
      const tree = smallTree();
      const work = tempDir("compress");
      const bundle = path.join(work, "b");
      const packed = runCli(["pack", tree, "-o", bundle, "--compress", kind]);
      assert.equal(packed.status, 0, packed.stderr);
      const out = path.join(work, "out");
      assert.equal(runCli(["unpack", bundle, out]).status, 0);
      const suffix = { none: "", xz: ".xz", zstd: ".zst", gzip: ".gz" }[kind];
      for (const relpath of ["kernel/lib/base.ko", "kernel/lib/mid.ko", "kernel/drivers/top.ko"]) {
        const stored = fs.readFileSync(path.join(out, relpath + suffix));
        assert.equal(detectCompression(stored), kind);
        assert.ok((await decompress(kind, stored, relpath)).equals(fs.readFileSync(path.join(tree, relpath))), relpath);
      }
      assert.match(fs.readFileSync(path.join(out, "modules.dep"), "latin1"), new RegExp(`^kernel/drivers/top\\.ko${suffix.replace(".", "\\.")}: kernel/lib/mid\\.ko`, "m"));
      if (kind !== "gzip") {
        // Debian's depmod is built without zlib; for the others its view of the unpacked tree must agree.
        const expected = depmodOf(out, SMALL_VERSION);
        for (const name of DEPMOD_TEXT_FILES) assert.equal(fs.readFileSync(path.join(out, name), "latin1"), expected.files[name], name);
      }
    });
  }

  it("list and info describe the bundle", () => {
    const bundle = path.join(tempDir("list"), "b");
    assert.equal(runCli(["pack", smallTree(), "-o", bundle]).status, 0);
    const list = runCli(["list", bundle]);
    assert.equal(list.stdout, "modules.builtin\nmodules.builtin.modinfo\nmodules.order\nkernel/drivers/top.ko\nkernel/lib/base.ko\nkernel/lib/mid.ko\n");
    const long = runCli(["list", "-l", bundle]);
    assert.match(long.stdout, /^ +\d+ none kernel\/lib\/mid\.ko$/m);
    const info = runCli(["info", bundle]);
    assert.match(info.stdout, /^kernel version: {2}6\.1\.0-small$/m);
    assert.match(info.stdout, /^modules: {9}3$/m);
    assert.match(info.stdout, /^builtin modules: 1$/m);
    assert.match(info.stdout, /^builtin aliases: 1$/m);
  });

  it("a reader that stops early (| head -1) gets no error from the writer", () => {
    const bundle = path.join(tempDir("pipe"), "b");
    assert.equal(runCli(["pack", smallTree(), "-o", bundle]).status, 0);
    const piped = spawnSync("sh", ["-c", `"${process.execPath}" "${CLI}" list "${bundle}" | head -1`], { encoding: "latin1" });
    assert.equal(piped.stdout, "modules.builtin\n");
    assert.equal(piped.stderr, "");
  });

  it("a failed pack leaves the previous bundle intact and no temporary file", () => {
    const tree = smallTree();
    const work = tempDir("interrupt");
    const bundle = path.join(work, "b");
    assert.equal(runCli(["pack", tree, "-o", bundle]).status, 0);
    const before = fs.readFileSync(bundle);
    // Two files that --compress none would store under one path: pack fails (a broken module
    // does not fail it: depmod's way, test/pack/broken-modules.test.ts).
    fs.writeFileSync(path.join(tree, "kernel/lib/base.ko.gz"), gzipSync(fs.readFileSync(path.join(tree, "kernel/lib/base.ko"))));
    const failed = runCli(["pack", tree, "-o", bundle, "--compress", "none"]);
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, /^modbundle: ERROR: .*base\.ko\.gz: would be stored as kernel\/lib\/base\.ko.*\n$/);
    assert.ok(fs.readFileSync(bundle).equals(before));
    assert.deepEqual(fs.readdirSync(work), ["b"]);
  });

  it("command-line mistakes give one line and exit 1", () => {
    const cases: Array<[string[], RegExp]> = [
      [["pack", smallTree(), "-o", "/tmp/x", "--compress", "lz4"], /^modbundle: ERROR: invalid --compress 'lz4' \(expected one of keep, none, xz, zstd, gzip\)\n$/],
      [["pack", "/nonexistent/6.1", "-o", "/tmp/x"], /^modbundle: ERROR: \/nonexistent\/6\.1: No such file or directory\n$/],
      [["info", "/nonexistent"], /^modbundle: ERROR: \/nonexistent: No such file or directory\n$/],
      [["verify", "/"], /^modbundle: ERROR: \/: Is a directory\n$/],
      [["unpack"], /^modbundle: ERROR: unpack: missing BUNDLE \(see 'modbundle help unpack'\)\n$/],
      [["frobnicate"], /^modbundle: ERROR: unknown command 'frobnicate' \(see 'modbundle help'\)\n$/],
    ];
    for (const [args, message] of cases) {
      const result = runCli(args);
      assert.equal(result.status, 1, args.join(" "));
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    }
  });

  it("unpack refuses member paths that leave the target directory", () => {
    for (const evil of ["../escape.ko", "/abs/escape.ko", "kernel/../../escape.ko", "kernel//x.ko"]) {
      const work = tempDir("evil");
      const bundle = path.join(work, "evil.bundle");
      const writer = BundleWriter.create(bundle, 0);
      const member = writer.addFile(evil, buildModule({}), 0o644, 0);
      writer.finish(encodeIndex({
        index: { kernelVersion: "6.1", modules: [{ name: "escape", path: member.path, deps: [], softdeps: [], weakdeps: [] }], aliases: [], symbols: [], builtin: [], builtinAliases: [], devnames: [] },
        members: writer.memberRecords,
      }));
      const target = path.join(work, "a", "b", "target");
      const result = runCli(["unpack", bundle, target]);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /refusing unsafe member path/);
      assert.equal(fs.existsSync(path.join(work, "escape.ko")), false);
      assert.equal(fs.existsSync(path.join(work, "a", "escape.ko")), false);
    }
  });

  it("unpack does not follow a symbolic link planted in the target", () => {
    const work = tempDir("symlink");
    const bundle = path.join(work, "b");
    assert.equal(runCli(["pack", smallTree(), "-o", bundle]).status, 0);
    const target = path.join(work, "target");
    const outside = path.join(work, "outside");
    fs.mkdirSync(outside);
    writeTree(target, {});
    fs.mkdirSync(target, { recursive: true });
    fs.symlinkSync(outside, path.join(target, "kernel"));
    // --force: a folder holding kernel/ is refused without it; forced, the link must still not be followed.
    const result = runCli(["unpack", "--force", bundle, target]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /exists and is not a directory/);
    assert.deepEqual(fs.readdirSync(outside), []);
  });
});
