import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { runModprobe } from "../../src/modprobe/run";
import { KmodBinLookup } from "../../src/resolve/kmod-bin-lookup";
import { aliasQueries, chunks, firstDifference, moduleNames } from "../helpers/alias-corpus";
import { runInProcess } from "../helpers/inprocess";
import { KmodTree, kmodTree, runKmod } from "../helpers/kmod";
import { KernelFixture, kernelFixture, tempDir } from "../helpers/paths";
import { assertSameRun, kmodModinfo, modbundleModinfo } from "../info/harness";

/**
 * Directory mode (no bundle) against Debian's kmod on the Debian amd64 tree that Debian's depmod
 * indexed: modbundle reads the same .bin files kmod reads, along each key. --show-depends of
 * every module, -R of the alias corpus the bundle tests use, -c, and modinfo, byte for byte;
 * then the same directory with its .bin files taken away, where modbundle falls back to the text
 * files.
 */
let fixture: KernelFixture | undefined;
let kmod: KmodTree;
let emptyConfig: string;
let cmdline: string;

before((t) => {
  fixture = kernelFixture(t as never, "amd64");
  if (!fixture) return;
  kmod = kmodTree(fixture.moduleDir, fixture.version);
  emptyConfig = tempDir("noconf");
  cmdline = fs.readFileSync("/proc/cmdline", "latin1");
});

after(() => {
  kmod?.cleanup();
  if (emptyConfig) fs.rmSync(emptyConfig, { recursive: true, force: true });
});

async function compare(args: readonly string[], base = kmod.base): Promise<void> {
  const expected = runKmod("modprobe", ["-C", emptyConfig, "-d", kmod.base, "-S", kmod.version, ...args]);
  const actual = await runInProcess(runModprobe, ["-C", emptyConfig, "-d", base, "-S", kmod.version, ...args], { cmdline });
  const unbased = (text: string): string => text.split(base).join(kmod.base);
  assert.ok(unbased(actual.stdout) === expected.stdout, `stdout differs at ${firstDifference(expected.stdout, unbased(actual.stdout))}`);
  assert.equal(unbased(actual.stderr), expected.stderr);
  assert.equal(actual.status, expected.status);
}

describe("directory mode through kmod's .bin indexes, against kmod on the Debian amd64 tree", () => {
  it("reads the .bin files: a lookup opens only the index it needs", (t) => {
    if (!fixture) return t.skip("no fixture");
    const lookup = KmodBinLookup.open(kmod.dirname);
    assert.ok(lookup, "modules.dep.bin was not used");
    const btrfs = lookup.findModule("btrfs");
    assert.equal(lookup.modulePath(btrfs), "kernel/fs/btrfs/btrfs.ko");
    assert.ok(lookup.moduleDeps(btrfs).map((d) => lookup.moduleName(d)).includes("libcrc32c"));
    assert.deepEqual(lookup.matchAliases(false, "fs_btrfs"), ["btrfs"]);
    lookup.close();
  });

  it("--show-depends of every module", async (t) => {
    if (!fixture) return t.skip("no fixture");
    const names = moduleNames(kmod.dirname);
    assert.ok(names.length > 4000);
    for (const batch of chunks(names, 1000)) await compare(["-a", "--show-depends", ...batch]);
  });

  it("-R of the alias corpus, and --show-depends of a tenth of it", async (t) => {
    if (!fixture) return t.skip("no fixture");
    const queries = aliasQueries(kmod.dirname);
    assert.ok(queries.length > 20000, `${queries.length} queries`);
    for (const batch of chunks(queries, 5000)) await compare(["-a", "-R", ...batch]);
    for (const batch of chunks(queries.filter((_, i) => i % 10 === 0), 1000)) await compare(["-a", "--show-depends", ...batch]);
  });

  it("-c dumps the alias and symbol indexes as kmod does", async (t) => {
    if (!fixture) return t.skip("no fixture");
    await compare(["-c"]);
  });

  it("modinfo of every fourth module, builtin modules and aliases", async (t) => {
    if (!fixture) return t.skip("no fixture");
    const builtin = fs.readFileSync(path.join(kmod.dirname, "modules.builtin"), "latin1").split("\n").filter((l) => l !== "").map((l) => path.basename(l, ".ko"));
    const names = [...moduleNames(kmod.dirname).filter((_, i) => i % 4 === 0), ...builtin.slice(0, 40), "fs-debugfs", "symbol:crc32c_impl", "pci:v00008086d0000A348sv00001234sd00005678bc04sc03i00", "no-such-module"];
    const common = ["-b", kmod.base, "-k", kmod.version];
    assertSameRun(await modbundleModinfo([...common, ...names]), kmodModinfo([...common, ...names]), "modinfo, directory mode");
  });

  it("without the .bin files, the text files give the same answers", async (t) => {
    if (!fixture) return t.skip("no fixture");
    const base = tempDir("text-only");
    t.after(() => fs.rmSync(base, { recursive: true, force: true }));
    const dirname = path.join(base, "lib", "modules", kmod.version);
    fs.mkdirSync(dirname, { recursive: true });
    for (const name of fs.readdirSync(kmod.dirname)) {
      if (name.endsWith(".bin")) continue;
      fs.symlinkSync(path.join(kmod.dirname, name), path.join(dirname, name));
    }
    assert.equal(KmodBinLookup.open(dirname), undefined);
    const names = moduleNames(kmod.dirname).filter((_, i) => i % 20 === 0);
    await compare(["-a", "--show-depends", ...names], base);
    await compare(["-a", "-R", ...aliasQueries(kmod.dirname).filter((_, i) => i % 50 === 0)], base);
  });
});
