import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { TestContext, describe, it } from "node:test";
import { DEPMOD_BIN_FILES, DEPMOD_TEXT_FILES, depmodOf } from "../helpers/tree";
import { KernelFixture, REPO_ROOT, kernelFixture, tempDir } from "../helpers/paths";
import { run, runCli } from "../helpers/run";
import { computeDepmodFiles } from "../../src/pack/depmod";

/**
 * Differential tests on real Debian kernels: modbundle's pack + unpack against Debian's depmod on
 * the same tree, for amd64 (ELF64 LE), i386 (ELF32 LE) and s390x (ELF64 BE), and for compressed
 * copies of the amd64 tree.
 */
function packAndUnpack(t: TestContext, moduleDir: string, extra: readonly string[] = []): { bundle: string; unpacked: string } {
  const dir = tempDir("debian");
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bundle = path.join(dir, "modules.bundle");
  const packed = runCli(["pack", moduleDir, "-o", bundle, ...extra]);
  assert.equal(packed.status, 0, packed.stderr);
  assert.equal(packed.stderr, "");
  const unpacked = path.join(dir, "unpacked");
  const result = runCli(["unpack", bundle, unpacked]);
  assert.equal(result.status, 0, result.stderr);
  return { bundle, unpacked };
}

/** `modbundle depmod -b` on a mirror of symbolic links to the tree (it writes into the tree). */
function ourDepmodOf(t: TestContext, moduleDir: string, version: string): string {
  const base = tempDir("our-depmod");
  t.after(() => fs.rmSync(base, { recursive: true, force: true }));
  const mirror = path.join(base, "lib", "modules", version);
  fs.mkdirSync(path.dirname(mirror), { recursive: true });
  assert.equal(run("cp", ["-rs", path.resolve(moduleDir), mirror]).status, 0);
  const result = runCli(["depmod", "-b", base, version]);
  assert.deepEqual([result.status, result.stderr], [0, ""]);
  return mirror;
}

/**
 * The index in `unpacked` and what `modbundle depmod` writes for the tree all equal depmod's: the
 * command's files (one thread or two, as the machine's load decides) and, with `withWorker`,
 * those computed with the work shared with its worker thread.
 */
async function assertIndexMatchesDepmod(t: TestContext, fixtureDir: string, unpacked: string, version: string, withWorker = false): Promise<void> {
  const expected = depmodOf(fixtureDir, version);
  assert.equal(expected.status, 0, expected.stderr);
  const ours = ourDepmodOf(t, fixtureDir, version);
  for (const name of [...DEPMOD_TEXT_FILES, ...DEPMOD_BIN_FILES]) {
    assert.ok(fs.readFileSync(path.join(ours, name), "latin1") === expected.files[name], `modbundle depmod: ${name} differs from depmod's`);
  }
  if (withWorker) {
    const shared = new Map((await computeDepmodFiles(fixtureDir, version, { worker: true })).map((f) => [f.name as string, f.data.toString("latin1")]));
    for (const name of [...DEPMOD_TEXT_FILES, ...DEPMOD_BIN_FILES]) assert.ok(shared.get(name) === expected.files[name], `modbundle depmod with its worker: ${name} differs from depmod's`);
  }
  for (const name of DEPMOD_TEXT_FILES) {
    const ours = fs.readFileSync(path.join(unpacked, name), "latin1");
    assert.ok(ours.length > 0 || name === "modules.devname", `${name} is empty`);
    assert.ok(ours === expected.files[name], `${name} differs from depmod's`);
  }
  for (const name of DEPMOD_BIN_FILES) {
    const ours = fs.readFileSync(path.join(unpacked, name), "latin1");
    assert.ok(ours.length > 12, `${name} is empty`);
    assert.ok(ours === expected.files[name], `${name} differs from depmod's`);
  }
}

/**
 * Debian's own modprobe and modinfo on an unpacked tree, with no depmod run: they read our .bin
 * files, and answer as modbundle does from the bundle.
 */
function assertKmodWorksOn(t: TestContext, bundle: string, unpacked: string, version: string): void {
  const base = tempDir("unpacked-root");
  t.after(() => fs.rmSync(base, { recursive: true, force: true }));
  fs.mkdirSync(path.join(base, "lib", "modules"), { recursive: true });
  const dirname = path.join(base, "lib", "modules", version);
  fs.symlinkSync(unpacked, dirname);
  for (const args of [["--show-depends", "btrfs"], ["-a", "-R", "pci:v00008086d000010D3sv00001234sd00005678bc02sc00i00", "fs-debugfs", "symbol:crc32c_impl"]]) {
    const common = ["-C", "/dev/null", "-d", base, "-S", version, ...args];
    const theirs = run("modprobe", common);
    const ours = runCli(["modprobe", "--bundle", bundle, ...common]);
    assert.equal(theirs.stdout, ours.stdout, theirs.stderr);
    assert.equal(theirs.status, 0, theirs.stderr);
  }
  assert.match(run("modprobe", ["-C", "/dev/null", "-d", base, "-S", version, "--show-depends", "btrfs"]).stdout, new RegExp(`^insmod ${dirname}/kernel/fs/btrfs/btrfs\\.ko $`, "m"));
  const info = run("modinfo", ["-b", base, "-k", version, "-F", "filename", "btrfs", "symbol:crc32c_impl", "ext4"]);
  assert.equal(info.stdout, `${dirname}/kernel/fs/btrfs/btrfs.ko\n${dirname}/kernel/lib/libcrc32c.ko\n${dirname}/kernel/fs/ext4/ext4.ko\n`, info.stderr);
}

function compressedCopy(fixture: KernelFixture, kind: "xz" | "zstd"): string {
  const pkg = fs.readFileSync(path.join(fixture.root, "..", "PACKAGE"), "latin1").trim();
  const dst = path.join(REPO_ROOT, ".cache", "derived", pkg, kind, fixture.version);
  const result = run("bash", [path.join(REPO_ROOT, "scripts", "compress-tree.sh"), fixture.moduleDir, dst, kind]);
  assert.equal(result.status, 0, result.stderr);
  return dst;
}

describe("Debian kernels", () => {
  it("amd64: the index equals depmod's, cpio recreates the tree, packing is reproducible", async (t) => {
    const fixture = kernelFixture(t, "amd64");
    if (!fixture) return;
    const { bundle, unpacked } = packAndUnpack(t, fixture.moduleDir);
    await assertIndexMatchesDepmod(t, fixture.moduleDir, unpacked, fixture.version, true);
    const moduleCount = fs.readFileSync(path.join(unpacked, "modules.dep"), "latin1").split("\n").length - 1;
    assert.ok(moduleCount > 3000, `only ${moduleCount} modules`);
    assertKmodWorksOn(t, bundle, unpacked, fixture.version);

    // cpio -idm in an empty directory recreates the tree; diff -r finds only the index folder.
    const extracted = tempDir("cpio");
    t.after(() => fs.rmSync(extracted, { recursive: true, force: true }));
    const cpio = run("sh", ["-c", `cpio -idm --quiet < '${bundle}'`], { cwd: extracted });
    assert.equal(cpio.status, 0, cpio.stderr);
    const diff = run("diff", ["-r", fixture.moduleDir, extracted]);
    assert.equal(diff.stdout, `Only in ${extracted}: .modbundle\n`);
    const listing = run("sh", ["-c", `cpio -t --quiet < '${bundle}'`]);
    assert.equal(listing.status, 0);
    assert.ok(listing.stdout.includes("kernel/fs/btrfs/btrfs.ko\n"));
    assert.ok(listing.stdout.startsWith(".modbundle\n.modbundle/header\n"));
    assert.ok(listing.stdout.endsWith(".modbundle/index\n"));

    // Same input, same bytes.
    const againDir = tempDir("again");
    t.after(() => fs.rmSync(againDir, { recursive: true, force: true }));
    const again = path.join(againDir, "modules.bundle");
    assert.equal(runCli(["pack", fixture.moduleDir, "-o", again]).status, 0);
    assert.ok(fs.readFileSync(bundle).equals(fs.readFileSync(again)), "a second pack differs");

    const verify = runCli(["verify", bundle]);
    assert.equal(verify.status, 0, verify.stderr);
    assert.match(verify.stdout, / 4026 members checked, 0 bad\n$|members checked, 0 bad\n$/);
  });

  for (const arch of ["i386", "s390x"]) {
    it(`${arch}: the index equals depmod's (${arch === "i386" ? "ELF32 little-endian" : "ELF64 big-endian"})`, async (t) => {
      const fixture = kernelFixture(t, arch);
      if (!fixture) return;
      const { unpacked } = packAndUnpack(t, fixture.moduleDir);
      await assertIndexMatchesDepmod(t, fixture.moduleDir, unpacked, fixture.version, true);
    });
  }

  for (const kind of ["xz", "zstd"] as const) {
    it(`amd64 compressed with ${kind}: the index equals depmod's`, async (t) => {
      const fixture = kernelFixture(t, "amd64");
      if (!fixture) return;
      const tree = compressedCopy(fixture, kind);
      const { unpacked } = packAndUnpack(t, tree);
      await assertIndexMatchesDepmod(t, tree, unpacked, fixture.version);
      const dep = fs.readFileSync(path.join(unpacked, "modules.dep"), "latin1");
      assert.match(dep, kind === "xz" ? /^kernel\/fs\/btrfs\/btrfs\.ko\.xz:/m : /^kernel\/fs\/btrfs\/btrfs\.ko\.zst:/m);
    });
  }
});
