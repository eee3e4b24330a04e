import * as fs from "node:fs";
import * as path from "node:path";
import { it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { run as runModinfo } from "../../src/commands/modinfo";
import { BufferSource } from "../../src/io/byte-source";
import { KMOD_BIN_FILES, KmodBinFile } from "../../src/index/kmod-trie-format";
import { KmodTrieReader } from "../../src/index/kmod-trie-reader";
import { KmodTrieWriter } from "../../src/index/kmod-trie-writer";
import { runModprobe } from "../../src/modprobe/run";
import { runInProcess } from "../helpers/inprocess";
import { tempDir } from "../helpers/paths";
import { FuzzTarget, assertCommandOutcome, expectClean, fuzzTest, regressionTests } from "./harness";
import { Mutation, applyMutations, mutationsArbitrary } from "./mutate";

/**
 * kmod's binary indexes (modules.*.bin), raw-mutated, read by the trie reader (exact search,
 * wildcard search, dump) and by modprobe and modinfo in directory mode, where one damaged file
 * sits among good ones. The reader must answer or refuse in one line naming the file; the
 * commands must exit 0 or 1 with every line in their format. A cycle of child offsets must end
 * in an error, not a hang (the harness's per-case time limit).
 */
const VERSION = "6.1.0-fuzz";

function trie(entries: ReadonlyArray<readonly [string, string, number]>): Buffer {
  const writer = new KmodTrieWriter();
  for (const [key, value, priority] of entries) writer.insert(key, value, priority);
  return writer.toBuffer();
}

const GOOD: Record<KmodBinFile, Buffer> = {
  "modules.dep.bin": trie([
    ["top", "kernel/drivers/top.ko: kernel/lib/mid.ko kernel/lib/base.ko", 0],
    ["mid", "kernel/lib/mid.ko: kernel/lib/base.ko", 1],
    ["base", "kernel/lib/base.ko:", 2],
    ["lonely", "kernel/misc/lonely.ko:", 3],
  ]),
  "modules.alias.bin": trie([
    ["pci:v00008086d*sv*sd*bc*sc*i*", "top", 0],
    ["pci:v*d*sv*sd*bc0Csc03i30*", "mid", 1],
    ["usb:v1D6Bp0002d*dc*dsc*dp*ic*isc*ip*in*", "lonely", 3],
    ["fs_top", "top", 0],
    ["char_major_116_*", "base", 2],
    ["of:N*T*Cfoo,bar", "lonely", 3],
    ["acpi*:PNP0A03:*", "mid", 1],
    ["[ab]*x?", "base", 2],
  ]),
  "modules.symbols.bin": trie([["symbol:base_fn", "base", 2], ["symbol:mid_fn", "mid", 1], ["symbol:shared", "top", 0]]),
  "modules.builtin.bin": trie([["ext4", "", 0], ["crc32c_generic", "", 0]]),
  "modules.builtin.alias.bin": trie([["fs_ext4", "ext4", 0], ["crypto_crc32c", "crc32c_generic", 0]]),
};

const QUERIES = ["pci:v00008086d00001234sv0sd0bc0Csc03i30", "fs-top", "usb:v1D6Bp0002d0100dc09dsc00dp00ic09isc00ip00in00", "symbol:mid_fn", "fs-ext4", "acpi:PNP0A03:", "zzz"];

interface IndexInput {
  readonly file: number;
  readonly mutations: readonly Mutation[];
}

function scratch(): { base: string; dirname: string } {
  const base = tempDir("fuzz-kmod-index");
  process.on("exit", () => fs.rmSync(base, { recursive: true, force: true }));
  const dirname = path.join(base, "lib", "modules", VERSION);
  for (const rel of ["kernel/drivers/top.ko", "kernel/lib/mid.ko", "kernel/lib/base.ko", "kernel/misc/lonely.ko"]) {
    fs.mkdirSync(path.dirname(path.join(dirname, rel)), { recursive: true });
    fs.writeFileSync(path.join(dirname, rel), "");
  }
  return { base, dirname };
}

async function run(work: { base: string; dirname: string }, input: IndexInput, strict = false): Promise<void> {
  const file = KMOD_BIN_FILES[input.file % KMOD_BIN_FILES.length];
  const good = GOOD[file];
  // The head, and the root (written last) with the nodes just before it.
  const damaged = applyMutations(good, input.mutations, [[0, 12], [Math.max(12, good.length - 96), good.length]]);
  for (const name of KMOD_BIN_FILES) fs.writeFileSync(path.join(work.dirname, name), name === file ? damaged : GOOD[name]);

  const outcome = await expectClean(() => {
    const reader = KmodTrieReader.open(new BufferSource(damaged, `${work.dirname}/${file}`));
    for (const q of QUERIES) {
      reader.search(q.replace(/-/g, "_"));
      reader.searchWild(q.replace(/-/g, "_"));
    }
    reader.forEach(() => undefined);
  });
  if (strict) assert.equal(outcome, "ok");
  const common = ["-d", work.base, "-S", VERSION, "-C", "/dev/null"];
  for (const args of [["--show-depends", "top"], ["-a", "-R", ...QUERIES.filter((q) => q !== "zzz")], ["-c"]]) {
    const result = await runInProcess(runModprobe, [...common, ...args], { prog: "modprobe", env: { PATH: process.env.PATH } });
    assertCommandOutcome("modprobe", result.status, result.stderr);
    if (strict) assert.deepEqual([result.status, result.stderr], [0, ""], args.join(" "));
  }
  const info = await runInProcess(runModinfo, ["-b", work.base, "-k", VERSION, "-F", "filename", "top", "fs-ext4", "symbol:base_fn"], { prog: "modinfo", env: { PATH: process.env.PATH } });
  assertCommandOutcome("modinfo", info.status, info.stderr);
  if (strict) assert.deepEqual([info.status, info.stderr], [0, ""]);
}

function target(): FuzzTarget<IndexInput> {
  const work = scratch();
  return {
    name: "kmod-index",
    arbitrary: fc.record({ file: fc.nat({ max: KMOD_BIN_FILES.length - 1 }), mutations: mutationsArbitrary() }),
    run: (input) => run(work, input),
    ciRuns: 600,
    describe: (input) => JSON.stringify({ file: KMOD_BIN_FILES[input.file % KMOD_BIN_FILES.length], mutations: input.mutations }),
    fromFile: (data) => {
      const stored = JSON.parse(data.toString("utf8")) as { file: string; mutations: Mutation[] };
      const index = (KMOD_BIN_FILES as readonly string[]).indexOf(stored.file);
      if (index < 0) throw new Error(`no index file ${stored.file}`);
      return { file: index, mutations: stored.mutations };
    },
  };
}

it("the undamaged indexes answer every command cleanly", async () => {
  const work = scratch();
  for (let file = 0; file < KMOD_BIN_FILES.length; file++) await run(work, { file, mutations: [] }, true);
});

fuzzTest("kmod-index", target);
regressionTests("kmod-index", target);
