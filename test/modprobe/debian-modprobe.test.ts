import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { FakeKernel, readSymvers } from "../../src/kernel/fake-kernel";
import { runModprobe } from "../../src/modprobe/run";
import { symversFixture } from "../helpers/kernel-module";
import { KmodTree, kmodTree, runKmod } from "../helpers/kmod";
import { runInProcess } from "../helpers/inprocess";
import { KernelFixture, kernelFixture, tempDir } from "../helpers/paths";
import { packTree } from "../helpers/pack";
import { aliasQueries, chunks, firstDifference, moduleNames } from "../helpers/alias-corpus";
import { spawnSync } from "node:child_process";

/**
 * modprobe against Debian's kmod on the Debian amd64 tree: --show-depends of every module, -R and
 * --show-depends of tens of thousands of alias strings made from the tree's own patterns,
 * compared byte for byte (stdout, stderr, status). Both read the host's /proc/cmdline; the
 * configuration is an empty -C directory.
 */
let fixture: KernelFixture | undefined;
let kmod: KmodTree;
let bundle: string;
let emptyConfig: string;
let cmdline: string;

before(async (t) => {
  fixture = kernelFixture(t as never, "amd64");
  if (!fixture) return;
  kmod = kmodTree(fixture.moduleDir, fixture.version);
  bundle = await packTree(fixture.moduleDir);
  emptyConfig = tempDir("noconf");
  cmdline = fs.readFileSync("/proc/cmdline", "latin1");
});

after(() => {
  kmod?.cleanup();
  if (bundle) fs.rmSync(path.dirname(bundle), { recursive: true, force: true });
});

async function compare(args: readonly string[]): Promise<void> {
  const common = ["-C", emptyConfig, "-d", kmod.base, "-S", kmod.version];
  const expected = runKmod("modprobe", [...common, ...args]);
  const actual = await runInProcess(runModprobe, ["--bundle", bundle, ...common, ...args], { cmdline });
  assert.ok(actual.stdout === expected.stdout, `stdout differs at ${firstDifference(expected.stdout, actual.stdout)}`);
  // modbundle names the bundle it searched where kmod names its directory.
  assert.equal(actual.stderr.split(`not found in bundle ${bundle}`).join(`not found in directory ${kmod.dirname}`), expected.stderr);
  assert.equal(actual.status, expected.status);
}

describe("modprobe against kmod on the Debian amd64 tree", () => {
  it("--show-depends of every module, in batches with -a", async (t) => {
    if (!fixture) return t.skip("no fixture");
    const names = moduleNames(kmod.dirname);
    assert.ok(names.length > 4000);
    for (const batch of chunks(names, 500)) await compare(["-a", "--show-depends", ...batch]);
  });

  it("-R and --show-depends of real alias strings (PCI, USB, ACPI, platform, fs-, crypto-, char-major-, symbol:)", async (t) => {
    if (!fixture) return t.skip("no fixture");
    const queries = aliasQueries(kmod.dirname);
    for (const prefix of ["pci:", "usb:", "acpi", "platform:", "fs-", "crypto-", "char-major-", "symbol:"]) {
      assert.ok(queries.some((q) => q.startsWith(prefix)), `no ${prefix} queries`);
    }
    assert.ok(queries.length > 20000, `${queries.length} queries`);
    for (const batch of chunks(queries, 4000)) await compare(["-a", "-R", ...batch]);
    for (const batch of chunks(queries.filter((_, i) => i % 10 === 0), 1000)) await compare(["-a", "--show-depends", ...batch]);
  });

  it("--show-modversions and --show-exports of module files (plain and compressed)", async (t) => {
    if (!fixture) return t.skip("no fixture");
    const dir = tempDir("modversions");
    const lib = path.join(fixture.moduleDir, "kernel/lib/libcrc32c.ko");
    const xz = path.join(dir, "libcrc32c.ko.xz");
    fs.writeFileSync(xz, spawnSync("xz", ["-c", lib]).stdout);
    for (const file of [lib, xz, path.join(fixture.moduleDir, "kernel/fs/btrfs/btrfs.ko"), "/nonexistent.ko"]) {
      for (const option of ["--show-modversions", "--show-exports"]) {
        const expected = runKmod("modprobe", [option, file]);
        const actual = await runInProcess(runModprobe, [option, file], { cmdline });
        assert.equal(actual.stdout, expected.stdout, `${option} ${file}`);
        assert.equal(actual.stderr, expected.stderr, `${option} ${file}`);
        assert.equal(actual.status, expected.status, `${option} ${file}`);
      }
    }
  });

  it("loading with -v: -j 1 prints kmod's lines byte for byte; -j 4 the same lines, the same final state", async (t) => {
    if (!fixture) return t.skip("no fixture");
    const symvers = symversFixture(t, "amd64");
    if (!symvers) return;
    const vmlinux = readSymvers(symvers);
    const set = ["btrfs", "ext4", "xfs", "vfat", "isofs", "loop", "dm_crypt", "xts", "e1000", "virtio_net", "tun", "bridge", "vxlan", "wireguard", "raid456", "sha3_generic"];
    const common = ["-C", emptyConfig, "-d", kmod.base, "-S", kmod.version, "-v", "-a", ...set];
    // What kmod's real run prints: its dry run's lines, each module once (a real run skips what an
    // earlier name of the batch has loaded already; a dry run shows it again).
    const dry = runKmod("modprobe", ["-n", ...common]);
    assert.equal(dry.status, 0, dry.stderr);
    const expected = { ...dry, stdout: [...new Set(dry.stdout.split("\n").filter((l) => l !== ""))].map((l) => `${l}\n`).join("") };
    const run = async (jobs: string) => {
      const kernel = new FakeKernel({ vmlinux, loadDelay: () => (jobs === "1" ? 0 : 2) });
      const env = { PATH: process.env.PATH, MODBUNDLE_JOBS: jobs };
      return { kernel, result: await runInProcess(runModprobe, ["--bundle", bundle, ...common], { cmdline, kernel, env }) };
    };
    const one = await run("1");
    assert.equal(one.result.stdout, expected.stdout);
    assert.deepEqual([one.result.stderr, one.result.status], [expected.stderr, expected.status]);
    const many = await run("4");
    assert.deepEqual([many.result.stderr, many.result.status], [expected.stderr, expected.status]);
    assert.deepEqual(many.result.stdout.split("\n").sort(), expected.stdout.split("\n").sort());
    assert.ok(many.kernel.maxInFlight > 1, "no loads overlapped");
    const state = (k: FakeKernel) => k.loadedModules().map((m) => `${m.name} ${[...m.holders].sort().join(",")}`).sort();
    assert.deepEqual(state(many.kernel), state(one.kernel));
    assert.equal(one.kernel.loadedNames().length, expected.stdout.split("\n").filter((l) => l.startsWith("insmod ")).length);
  });

  it("the CLI prints the same as the library (show-depends through a modprobe symlink)", (t) => {
    if (!fixture) return t.skip("no fixture");
    const dir = tempDir("symlink");
    const link = path.join(dir, "modprobe");
    fs.symlinkSync(path.resolve(__dirname, "..", "..", "..", "dist", "modbundle.js"), link);
    const args = ["-C", emptyConfig, "-d", kmod.base, "-S", kmod.version, "--show-depends", "btrfs"];
    const expected = runKmod("modprobe", args);
    const viaLink = spawnSync(process.execPath, [link, "--bundle", bundle, ...args], { encoding: "latin1", env: { ...process.env, MODBUNDLE_NO_SYSCALLS: "1" } });
    assert.equal(viaLink.stdout, expected.stdout);
    assert.equal(viaLink.status, 0);
    assert.match(expected.stdout, /^insmod .*\/kernel\/fs\/btrfs\/btrfs\.ko $/m);
  });
});
