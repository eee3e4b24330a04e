import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { kmodTree, runKmod } from "../helpers/kmod";
import { openBundleFile } from "../helpers/pack";
import { kernelFixture, tempDir } from "../helpers/paths";
import { runCli } from "../helpers/run";

describe("pack --only", () => {
  it("stores the named modules and, transitively, what modprobe would load with them", (t) => {
    const fixture = kernelFixture(t, "amd64");
    if (!fixture) return;
    const names = ["virtio_pci", "virtio_blk", "btrfs", "e1000", "fs-vfat"];
    const dir = tempDir("only");
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const bundle = path.join(dir, "small.bundle");
    const packed = runCli(["pack", fixture.moduleDir, "-o", bundle, ...names.flatMap((name) => ["--only", name])]);
    assert.equal(packed.status, 0, packed.stderr);
    const opened = openBundleFile(bundle);
    const stored = new Set(Array.from({ length: opened.index.moduleCount }, (_, i) => opened.index.modulePath(i)));
    opened.close();

    const kmod = kmodTree(fixture.moduleDir, fixture.version);
    t.after(() => kmod.cleanup());
    const conf = tempDir("noconf");
    const shown = runKmod("modprobe", ["-C", conf, "-d", kmod.base, "-S", kmod.version, "-a", "--show-depends", ...names]);
    assert.equal(shown.status, 0, shown.stderr);
    const expected = new Set(shown.stdout.split("\n").filter((l) => l.startsWith("insmod ")).map((l) => path.relative(kmod.dirname, l.split(" ")[1])));
    assert.deepEqual([...stored].sort(), [...expected].sort());
    assert.ok(stored.has("kernel/fs/btrfs/btrfs.ko") && stored.has("kernel/fs/fat/vfat.ko"));
    assert.ok(fs.statSync(bundle).size < 10 << 20, "a small bundle");
  });

  it("names a module it cannot find", (t) => {
    const fixture = kernelFixture(t, "amd64");
    if (!fixture) return;
    const result = runCli(["pack", fixture.moduleDir, "-o", path.join(tempDir("only"), "b"), "--only", "no_such_module"]);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, `modbundle: ERROR: --only: module no_such_module not found in ${fixture.moduleDir}\n`);
  });
});
