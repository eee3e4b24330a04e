import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { buildModule, FakeModuleSpec } from "../helpers/elf-builder";
import { DEPMOD_BIN_FILES, DEPMOD_TEXT_FILES, depmodOf, writeTree } from "../helpers/tree";
import { computeDepmodFiles } from "../../src/pack/depmod";
import { packTree, textFilesOf } from "../helpers/pack";
import { tempDir } from "../helpers/paths";
import { run } from "../helpers/run";
import { CycleError } from "../../src/index/cycles";
import { ModbundleError } from "../../src/errors";

const VERSION = "6.1.0-test";

type Layout = { is64: boolean; bigEndian: boolean };
const LAYOUTS: Array<[string, Layout]> = [
  ["ELF64 little-endian", { is64: true, bigEndian: false }],
  ["ELF64 big-endian", { is64: true, bigEndian: true }],
  ["ELF32 little-endian", { is64: false, bigEndian: false }],
  ["ELF32 big-endian", { is64: false, bigEndian: true }],
];

function makeTree(files: Record<string, Buffer | string>): string {
  const dir = path.join(tempDir("tree"), VERSION);
  writeTree(dir, files);
  return dir;
}

/**
 * Packs the tree, renders the text files, and compares them with what depmod writes; and
 * compares every file `modbundle depmod` computes (text and .bin) with depmod's, in one thread
 * and with its worker thread sharing the parsing (which a big tree gets).
 */
async function assertSameAsDepmod(moduleDir: string): Promise<Record<string, string>> {
  const expected = depmodOf(moduleDir, VERSION);
  assert.equal(expected.status, 0, `depmod failed: ${expected.stderr}`);
  const actual = textFilesOf(await packTree(moduleDir));
  for (const name of DEPMOD_TEXT_FILES) assert.equal(actual[name], expected.files[name], `${name} differs from depmod's`);
  for (const worker of [false, true]) {
    const computed = new Map((await computeDepmodFiles(moduleDir, VERSION, { worker })).map((f) => [f.name as string, f.data.toString("latin1")]));
    for (const name of [...DEPMOD_TEXT_FILES, ...DEPMOD_BIN_FILES]) {
      assert.ok(computed.get(name) === expected.files[name], `modbundle depmod${worker ? " with its worker" : ""}: ${name} differs from depmod's`);
    }
  }
  return actual;
}

function graphTree(layout: Layout): Record<string, Buffer | string> {
  const mod = (spec: FakeModuleSpec): Buffer => buildModule({ ...layout, ...spec });
  return {
    "kernel/lib/base-lib.ko": mod({ exports: [{ name: "base_fn", crc: 0x1234 }, { name: "dup_sym", crc: 1 }], modinfo: ["license=GPL"] }),
    "kernel/lib/mid.ko": mod({ exports: [{ name: "mid_fn" }], needs: [{ name: "base_fn" }, { name: "printk" }] }),
    "kernel/drivers/top.ko": mod({
      needs: [{ name: "mid_fn" }, { name: "other_fn" }, { name: "weak_fn", weak: true }],
      modinfo: ["alias=pci:v00008086d*sv*sd*bc*sc*i*", "alias=top-alias", "softdep=pre: mid post: base_lib", "description=top"],
    }),
    "kernel/drivers/other.ko": mod({ exports: [{ name: "other_fn" }, { name: "weak_fn" }], needs: [{ name: "base_fn" }], crcMode: "absolute" }),
    "kernel/drivers/dup-b.ko": mod({ exports: [{ name: "dup_sym", crc: 2 }] }),
    "kernel/drivers/dup_user.ko": mod({ needs: [{ name: "dup_sym" }] }),
    "kernel/fs/strs.ko": mod({ ksymtabStrings: ["strs_a", "strs_b"] }),
    "kernel/fs/strs_user.ko": mod({ needs: [{ name: "strs_b" }], versions: [{ name: "module_layout", crc: 7 }, { name: "strs_b", crc: 3 }] }),
    "kernel/fs/versions_only.ko": mod({ versions: [{ name: "mid_fn", crc: 9 }] }),
    "kernel/char/devnode.ko": mod({ modinfo: ["alias=devname:widget", "alias=char-major-10-123", "alias=symbol:nothing"] }),
    "kernel/char/blockdev.ko": mod({ modinfo: ["alias=block-major-7-*", "alias=devname:loopy", "alias=block-major-7-0"] }),
    "kernel/misc/unlisted-a.ko": mod({ exports: [{ name: "unlisted_sym" }] }),
    "kernel/misc/unlisted_b.ko": mod({ needs: [{ name: "unlisted_sym" }, { name: "base_fn" }] }),
    "modules.order": [
      "kernel/lib/base-lib.ko", "kernel/lib/mid.ko", "kernel/drivers/top.ko", "kernel/drivers/other.ko",
      "kernel/drivers/dup-b.ko", "kernel/drivers/dup_user.ko", "kernel/fs/strs.ko", "kernel/fs/strs_user.ko",
      "kernel/fs/versions_only.ko", "kernel/char/devnode.ko", "kernel/char/blockdev.ko", "",
    ].join("\n"),
  };
}

describe("depmod equivalence on built trees", () => {
  for (const [label, layout] of LAYOUTS) {
    it(`matches depmod for ${label} modules`, async () => {
      const files = await assertSameAsDepmod(makeTree(graphTree(layout)));
      // Guard against a vacuous pass: the graph really has chained dependencies.
      assert.match(files["modules.dep"], /kernel\/drivers\/top\.ko: kernel\/drivers\/other\.ko kernel\/lib\/mid\.ko kernel\/lib\/base-lib\.ko\n/);
    });
  }

  it("orders modules missing from modules.order as depmod's hash does", async () => {
    const tree = graphTree({ is64: true, bigEndian: false });
    tree["modules.order"] = "kernel/drivers/top.ko\n";
    await assertSameAsDepmod(makeTree(tree));
  });

  it("ignores a modules.order whose last line has no newline, and works without one", async () => {
    const tree = graphTree({ is64: true, bigEndian: false });
    tree["modules.order"] = "kernel/drivers/top.ko\nkernel/lib/mid.ko";
    await assertSameAsDepmod(makeTree(tree));
    delete tree["modules.order"];
    await assertSameAsDepmod(makeTree(tree));
  });

  it("prefers a module under updates/ over one of the same name", async () => {
    const tree = graphTree({ is64: true, bigEndian: false });
    tree["updates/mid.ko"] = buildModule({ exports: [{ name: "mid_fn" }], modinfo: ["alias=updated-mid"] });
    const files = await assertSameAsDepmod(makeTree(tree));
    assert.match(files["modules.dep"], /^updates\/mid\.ko:/m);
  });

  it("follows links named as module files as depmod does: dangling ones skipped, one to a directory walked", async () => {
    const dir = makeTree(graphTree({ is64: true, bigEndian: false }));
    const outside = tempDir("outside");
    writeTree(outside, {
      "sub/linked-in.ko": buildModule({ needs: [{ name: "mid_fn" }], modinfo: ["alias=linked-in"] }),
      "extra-file.ko": buildModule({ needs: [{ name: "base_fn" }] }),
    });
    fs.symlinkSync(path.join(outside, "sub"), path.join(dir, "kernel", "dir-link.ko"));
    fs.symlinkSync(path.join(dir, "nowhere.ko"), path.join(dir, "kernel", "dangling.ko"));
    fs.symlinkSync(path.join(outside, "extra-file.ko"), path.join(dir, "kernel", "extra.ko"));
    const files = await assertSameAsDepmod(dir);
    assert.match(files["modules.dep"], /^kernel\/dir-link\.ko\/linked-in\.ko: kernel\/lib\/mid\.ko/m);
    assert.match(files["modules.dep"], /^kernel\/extra\.ko: kernel\/lib\/base-lib\.ko$/m);
    assert.doesNotMatch(files["modules.dep"], /dangling/);
  });

  it("skips a FIFO named as a module file, without opening it", async () => {
    const dir = makeTree(graphTree({ is64: true, bigEndian: false }));
    const before = (await computeDepmodFiles(dir, VERSION, { worker: false })).map((f) => f.data.toString("latin1"));
    assert.equal(run("mkfifo", [path.join(dir, "kernel", "fifo.ko")]).status, 0);
    fs.symlinkSync(path.join(dir, "kernel", "fifo.ko"), path.join(dir, "kernel", "fifo-link.ko"));
    for (const worker of [false, true]) {
      const after = (await computeDepmodFiles(dir, VERSION, { worker })).map((f) => f.data.toString("latin1"));
      assert.deepEqual(after, before);
    }
  });

  it("reads compressed modules (.ko.xz, .ko.zst) like depmod", async () => {
    const tree = graphTree({ is64: true, bigEndian: false });
    const dir = makeTree(tree);
    assert.equal(run("xz", ["--check=crc32", "--lzma2=dict=1MiB", path.join(dir, "kernel/lib/mid.ko")]).status, 0);
    assert.equal(run("zstd", ["-q", "--rm", path.join(dir, "kernel/drivers/top.ko")]).status, 0);
    const files = await assertSameAsDepmod(dir);
    assert.match(files["modules.dep"], /kernel\/drivers\/top\.ko\.zst: .*kernel\/lib\/mid\.ko\.xz/);
  });

  it("reports a dependency cycle like depmod and writes no bundle", async () => {
    const dir = makeTree({
      "kernel/a.ko": buildModule({ exports: [{ name: "a_fn" }], needs: [{ name: "b_fn" }] }),
      "kernel/b.ko": buildModule({ exports: [{ name: "b_fn" }], needs: [{ name: "c_fn" }] }),
      "kernel/c.ko": buildModule({ exports: [{ name: "c_fn" }], needs: [{ name: "a_fn" }] }),
      "kernel/d.ko": buildModule({ needs: [{ name: "a_fn" }] }),
      "modules.order": "kernel/a.ko\nkernel/b.ko\nkernel/c.ko\nkernel/d.ko\n",
    });
    const expected = depmodOf(dir, VERSION);
    assert.equal(expected.status, 1);
    const output = path.join(tempDir("cycle"), "bundle");
    await assert.rejects(packTree(dir, "keep", output), (error: unknown) => {
      assert.ok(error instanceof CycleError);
      const ours = (error as ModbundleError).message.split("\n").map((line) => `depmod: ERROR: ${line}`);
      assert.deepEqual(ours, expected.stderr.trimEnd().split("\n"));
      return true;
    });
    assert.equal(fs.existsSync(output), false);
    assert.deepEqual(fs.readdirSync(path.dirname(output)), [], "the temporary file is removed");
  });
});
