import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { kernelModule } from "../helpers/kernel-module";
import { CLI, tempDir } from "../helpers/paths";
import { runCli } from "../helpers/run";
import { DEPMOD_BIN_FILES, DEPMOD_TEXT_FILES, depmodOf, writeTree } from "../helpers/tree";
import { computeDepmodFiles } from "../../src/pack/depmod";

/**
 * A tree with broken modules is packed as depmod indexes it: one error line per broken file,
 * naming it and the reason; the file stored as it is and listed with no dependencies; everything
 * else packed; the index equal to Debian's depmod's for the same tree. A file that cannot be read
 * at all (a non-root pack) is reported and left out, and pack exits 1.
 */
const VERSION = "6.1.0-broken";

function brokenTree(): string {
  const dir = path.join(tempDir("broken"), VERSION);
  const base = kernelModule("base", { exports: [{ name: "base_fn" }], modinfo: ["alias=base-alias"] });
  writeTree(dir, {
    "kernel/lib/base.ko": base,
    "kernel/drivers/user.ko": kernelModule("user", { needs: [{ name: "base_fn" }] }),
    "kernel/drivers/truncated.ko": base.subarray(0, 200),
    "kernel/drivers/not-elf.ko": "#!/bin/sh\necho this is not a module\n",
    "kernel/drivers/empty.ko": "",
    "kernel/drivers/garbage.ko.xz": "garbage that is not xz",
    "kernel/drivers/bad-stream.ko.xz": Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.from("damaged stream")]),
    "kernel/drivers/bad-frame.ko.zst": Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x08, 0, 0, 0]),
    "modules.order": "kernel/lib/base.ko\nkernel/drivers/user.ko\nkernel/drivers/truncated.ko\n",
  });
  return dir;
}

const BROKEN = ["bad-frame.ko.zst", "bad-stream.ko.xz", "empty.ko", "garbage.ko.xz", "not-elf.ko", "truncated.ko"];

describe("pack of a tree with broken modules", () => {
  it("reports each broken file in one line, stores it, and indexes the tree as depmod does", () => {
    const dir = brokenTree();
    const work = tempDir("broken-out");
    const bundle = path.join(work, "modules.bundle");
    const packed = runCli(["pack", dir, "-o", bundle]);
    const lines = packed.stderr.split("\n").slice(0, -1);
    assert.equal(lines.length, BROKEN.length, packed.stderr);
    for (const name of BROKEN) {
      const line = lines.find((l) => l.includes(`/${name}:`));
      assert.ok(line, `no line for ${name}: ${packed.stderr}`);
      assert.match(line, new RegExp(`^modbundle: ERROR: failed to load symbols from ${dir}/kernel/drivers/${name.replace(/\./g, "\\.")}: \\S`));
    }
    assert.equal(packed.status, 0);

    const listed = runCli(["list", bundle]).stdout.split("\n");
    for (const name of [...BROKEN, "base.ko", "user.ko"]) assert.ok(listed.some((l) => l.endsWith(`/${name}`)), name);
    const out = path.join(work, "unpacked");
    assert.equal(runCli(["unpack", bundle, out]).status, 0);
    for (const name of BROKEN) {
      assert.ok(fs.readFileSync(path.join(out, "kernel/drivers", name)).equals(fs.readFileSync(path.join(dir, "kernel/drivers", name))), name);
    }
    const expected = depmodOf(dir, VERSION);
    for (const file of DEPMOD_TEXT_FILES) assert.equal(fs.readFileSync(path.join(out, file), "latin1"), expected.files[file], file);
    assert.match(expected.files["modules.dep"], /^kernel\/drivers\/truncated\.ko:$/m);
    assert.match(expected.files["modules.dep"], /^kernel\/drivers\/user\.ko: kernel\/lib\/base\.ko$/m);
    // depmod says the same files are broken.
    for (const name of BROKEN) assert.match(expected.stderr, new RegExp(`failed to load symbols from .*/${name.replace(/\./g, "\\.")}: `), name);
  });

  it("modbundle depmod reports each broken file in one line, as depmod does, and writes depmod's files (status 0)", async () => {
    const base = tempDir("broken-depmod");
    const moduleDir = path.join(base, "lib", "modules", VERSION);
    fs.mkdirSync(path.dirname(moduleDir), { recursive: true });
    fs.renameSync(brokenTree(), moduleDir);
    const expected = depmodOf(moduleDir, VERSION);
    const reported = (lines: readonly string[]): void => {
      assert.equal(lines.length, BROKEN.length, lines.join("\n"));
      for (const name of BROKEN) assert.ok(lines.some((l) => l.startsWith(`failed to load symbols from ${moduleDir}/kernel/drivers/${name}: `)), name);
    };
    // Every way the modules may be read and parsed: in one thread, or with a worker thread.
    for (const worker of [false, true]) {
      const lines: string[] = [];
      const files = await computeDepmodFiles(moduleDir, VERSION, { worker, onModuleError: (line) => lines.push(line) });
      reported(lines);
      for (const { name, data } of files) if (name in expected.files) assert.ok(data.toString("latin1") === expected.files[name], `${name} (worker: ${worker})`);
    }
    const result = runCli(["depmod", "-b", base, VERSION]);
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stderr.split("\n").slice(0, -1);
    assert.ok(lines.every((line) => line.startsWith("modbundle: ERROR: ")), result.stderr);
    reported(lines.map((line) => line.slice("modbundle: ERROR: ".length)));
    for (const name of [...DEPMOD_TEXT_FILES, ...DEPMOD_BIN_FILES]) {
      assert.ok(fs.readFileSync(path.join(moduleDir, name), "latin1") === expected.files[name], `modbundle depmod: ${name} differs from depmod's`);
    }
    fs.rmSync(base, { recursive: true, force: true });
  });

  it("modprobe and modinfo treat a broken member as the kernel and kmod would: one line, exit 1", () => {
    const dir = brokenTree();
    const bundle = path.join(tempDir("broken-use"), "modules.bundle");
    assert.equal(runCli(["pack", dir, "-o", bundle]).status, 0);
    const root = tempDir("broken-root");
    const load = runCli(["modprobe", "--bundle", bundle, "-d", root, "-S", VERSION, "truncated"]);
    assert.equal(load.status, 1);
    assert.equal(load.stderr.split("\n").length, 2, load.stderr);
    const info = runCli(["modinfo", "--bundle", bundle, "-b", root, "-k", VERSION, "bad-frame"]);
    assert.equal(info.status, 1);
    assert.match(info.stderr, /^modinfo: ERROR: could not get modinfo from 'bad_frame': .*\n$/);
  });

  it("a file it cannot read is reported and left out; the rest is packed; exit 1", (t) => {
    if (process.getuid?.() !== 0 || spawnSync("setpriv", ["--version"]).status !== 0) {
      t.skip("needs root and setpriv, to run pack as an unprivileged user");
      return;
    }
    const dir = brokenTree();
    const unreadable = path.join(dir, "kernel/drivers/secret.ko");
    fs.writeFileSync(unreadable, kernelModule("secret"));
    fs.chmodSync(unreadable, 0o000);
    for (let d = dir; d !== path.dirname(tempDir("x")); d = path.dirname(d)) fs.chmodSync(d, 0o755);
    const work = tempDir("broken-nobody");
    fs.chmodSync(work, 0o777);
    const bundle = path.join(work, "modules.bundle");
    const packed = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, CLI, "pack", dir, "-o", bundle], {
      encoding: "latin1",
      env: { PATH: process.env.PATH, MODBUNDLE_NO_SYSCALLS: "1" },
    });
    assert.match(packed.stderr, new RegExp(`^modbundle: ERROR: cannot read ${unreadable}: Permission denied \\(left out of the bundle\\)$`, "m"));
    assert.equal(packed.stderr.split("\n").length - 1, BROKEN.length + 1, packed.stderr);
    assert.equal(packed.status, 1);
    const listed = runCli(["list", bundle]).stdout;
    assert.ok(!listed.includes("secret.ko"));
    assert.match(listed, /kernel\/drivers\/user\.ko/);
  });
});
