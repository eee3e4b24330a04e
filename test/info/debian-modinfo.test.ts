import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { TestContext, after, describe, it } from "node:test";
import { KernelFixture, REPO_ROOT, kernelFixture, tempDir } from "../helpers/paths";
import { packTree } from "../helpers/pack";
import { RunResult } from "../helpers/run";
import { KmodMirror, assertSameRun, batches, kmodMirror, kmodModinfo, modbundleModinfo, removeMirror } from "./harness";

/**
 * modbundle's modinfo against Debian's (kmod 30) on Debian's amd64 kernel: every module name of
 * the tree, every builtin module, the field and layout options, aliases, module files (plain, xz,
 * zstd) and a bundle whose modules are xz-compressed. kmod reads a symlink mirror of the tree with
 * depmod's index files; modbundle reads a bundle packed from the same tree, with the same -b, so
 * that both print the same paths.
 */
interface Setup {
  readonly fixture: KernelFixture;
  readonly mirror: KmodMirror;
  readonly bundle: string;
  readonly scratch: string;
}

let pending: Promise<Setup> | undefined;
let ready: Setup | undefined;

function setup(t: TestContext): Promise<Setup> | undefined {
  const fixture = kernelFixture(t, "amd64");
  if (!fixture) return undefined;
  pending ??= (async () => {
    const scratch = tempDir("modinfo-debian");
    const mirror = kmodMirror(fixture.moduleDir, fixture.version);
    const bundle = await packTree(fixture.moduleDir, "keep", path.join(scratch, "modules.bundle"));
    ready = { fixture, mirror, bundle, scratch };
    return ready;
  })();
  return pending;
}

after(() => {
  removeMirror(ready?.mirror);
  if (ready) fs.rmSync(ready.scratch, { recursive: true, force: true });
});

/** Both sides on the same names (kmod in batches of one command line each); the outputs concatenated. */
async function compare(s: Setup, options: readonly string[], names: readonly string[], label: string, bundle = s.bundle): Promise<void> {
  const common = ["-b", s.mirror.base, "-k", s.mirror.version];
  const ours = await modbundleModinfo([...common, "--bundle", bundle, ...options, ...names]);
  const theirs: RunResult[] = batches(names).map((batch) => kmodModinfo([...common, ...options, ...batch]));
  const status = theirs.some((r) => r.status !== 0) ? 1 : 0;
  const joined = { status, stdout: theirs.map((r) => r.stdout).join(""), stderr: theirs.map((r) => r.stderr).join("") };
  assertSameRun(ours, joined, `${label} (${names.length} names)`);
}

function run(command: string, args: readonly string[], cwd?: string): void {
  const result = spawnSync(command, args, { cwd, encoding: "latin1" });
  assert.equal(result.status, 0, `${command} ${args.join(" ")}: ${result.stderr}`);
}

describe("modinfo against Debian's kmod 30 on the amd64 kernel", () => {
  it("every module of the tree, by name", async (t) => {
    const s = await setup(t);
    if (!s) return;
    assert.ok(s.mirror.names.length > 4000, `only ${s.mirror.names.length} modules`);
    await compare(s, [], s.mirror.names, "default output");
    t.diagnostic(`${s.mirror.names.length} module names compared`);
  });

  it("every module, with -F for the common fields", async (t) => {
    const s = await setup(t);
    if (!s) return;
    for (const field of ["filename", "alias", "depends", "parm", "license", "sig_id", "signer", "vermagic"]) {
      await compare(s, ["-F", field], s.mirror.names, `-F ${field}`);
    }
  });

  it("every module with -0, and -a -d -l -p -n", async (t) => {
    const s = await setup(t);
    if (!s) return;
    await compare(s, ["-0"], s.mirror.names, "-0");
    const sample = s.mirror.names.filter((_, i) => i % 4 === 0);
    for (const option of ["-a", "-d", "-l", "-p", "-n", "--parameters", "-p0", "-Fsig_key", "--field=signature", "-F", "name"]) {
      const options = option === "-F" ? [] : [option];
      await compare(s, option === "name" ? ["-F", "name"] : options, sample, option);
    }
  });

  it("every builtin module, and every name in modules.builtin.modinfo", async (t) => {
    const s = await setup(t);
    if (!s) return;
    assert.ok(s.mirror.builtinNames.length > 100);
    await compare(s, [], s.mirror.builtinNames, "builtin");
    for (const field of ["name", "filename", "parm", "license", "alias"]) await compare(s, ["-F", field], s.mirror.builtinNames, `builtin -F ${field}`);
    await compare(s, ["-0"], s.mirror.builtinNames, "builtin -0");
    const modinfo = fs.readFileSync(path.join(s.fixture.moduleDir, "modules.builtin.modinfo"), "latin1");
    const prefixes = [...new Set(modinfo.split("\0").filter((l) => l.includes(".")).map((l) => l.slice(0, l.indexOf("."))))];
    await compare(s, [], prefixes, "modules.builtin.modinfo prefixes");
    await compare(s, ["-m"], [...prefixes, "fs-debugfs"], "modules.builtin.modinfo prefixes, -m");
    t.diagnostic(`${s.mirror.builtinNames.length} builtin names and ${prefixes.length} modules.builtin.modinfo prefixes compared`);
  });

  it("aliases: several modules for one modalias, builtin aliases, symbols, bad names", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const queries = [
      "pci:v00008086d0000A348sv00001234sd00005678bc04sc03i00", // snd_hda_intel twice, snd_soc_skl, snd_sof_pci_intel_cnl
      "pci:v00001002d00001307sv00001234sd00005678bc03sc00i00", // radeon, amdgpu twice
      "usb:v0BDAp8179d0000dc00dsc00dp00icFFiscFFipFFin00",
      "fs-debugfs", // builtin alias
      "crypto-dh",
      "symbol:ipv6_chk_addr",
      "snd-hda-intel",
      "rtnl-link-dummy",
      "fs-btrfs",
      "no_such_module",
      "no-such-module",
      "printk",
      "foo]",
      "[bar",
      "pci:*",
      "",
    ];
    for (const q of queries) await compare(s, [], [q], JSON.stringify(q));
    await compare(s, [], queries, "all queries in one run");
    await compare(s, ["-F", "filename"], queries, "all queries, -F filename");
    await compare(s, ["-m"], ["snd-hda-intel", "dummy.ko", "rtnl-link-dummy", "fs-debugfs", "debugfs", "symbol:ipv6_chk_addr", "zswap"], "-m");
  });

  it("command-line errors, help, no arguments", async (t) => {
    const s = await setup(t);
    if (!s) return;
    for (const args of [[], ["-x"], ["-F"], ["--field"], ["--nosuch"], ["-x", "-h"], ["--author=x", "dummy"], ["-k"], ["-0", "-m"]]) {
      const common = ["-b", s.mirror.base, "-k", s.mirror.version];
      assertSameRun(await modbundleModinfo([...common, "--bundle", s.bundle, ...args]), kmodModinfo([...common, ...args]), args.join(" "));
    }
  });

  it("module files: .ko by path, .ko.xz and .ko.zst copies, a path and a name of the same module", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const dir = path.join(s.scratch, "files");
    fs.mkdirSync(dir, { recursive: true });
    const picks = ["kernel/drivers/net/dummy.ko", "kernel/fs/btrfs/btrfs.ko", "kernel/sound/pci/hda/snd-hda-intel.ko", "kernel/crypto/xor.ko"];
    const files: string[] = [];
    for (const rel of picks) {
      const plain = path.join(dir, path.basename(rel));
      fs.copyFileSync(path.join(s.fixture.moduleDir, rel), plain);
      run("xz", ["-k", "--check=crc32", "--lzma2=dict=1MiB", plain]);
      run("zstd", ["-q", "-k", plain]);
      files.push(plain, `${plain}.xz`, `${plain}.zst`);
    }
    for (const file of files) await compare(s, [], [file], file);
    await compare(s, [], files, "all files in one run");
    await compare(s, ["-F", "signature"], files, "all files, -F signature");
    const original = path.join(s.mirror.moduleDir, picks[0]);
    // kmod releases its module objects after each argument: one mention does not change another.
    await compare(s, [], ["dummy", original, files[0], "dummy", "rtnl-link-dummy"], "names and files of the same module");
    await compare(s, [], ["btrfs", files[9], "xor"], "a module, a copy of its dependency, the dependency");
    await compare(s, [], [path.join(dir, "missing.ko"), dir, `${dir}/.ko`, path.join(dir, "dummy.ko.gz")], "not module files");
  });

  it("a relative path and $PWD (get_current_dir_name)", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const dir = path.join(s.scratch, "relative");
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(s.fixture.moduleDir, "kernel/drivers/net/dummy.ko"), path.join(dir, "dummy.ko"));
    const link = path.join(s.scratch, "link");
    fs.symlinkSync(dir, link);
    const cli = path.join(REPO_ROOT, "build", "src", "cli.js");
    for (const env of [{ PATH: process.env.PATH }, { PATH: process.env.PATH, PWD: link }, { PATH: process.env.PATH, PWD: "/nonexistent" }]) {
      const ours = spawnSync(process.execPath, [cli, "modinfo", "-n", "dummy.ko", "./dummy.ko"], { cwd: dir, env, encoding: "latin1" });
      const theirs = kmodModinfo(["-n", "dummy.ko", "./dummy.ko"], { cwd: dir, env });
      assertSameRun({ status: ours.status, stdout: ours.stdout, stderr: ours.stderr }, theirs, `PWD=${env.PWD ?? "(unset)"}`);
    }
  });

  it("a gzip-compressed file (Debian's kmod is built without zlib; modbundle reads it)", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const dir = path.join(s.scratch, "gzip");
    fs.mkdirSync(dir, { recursive: true });
    const plain = path.join(dir, "dummy.ko");
    fs.copyFileSync(path.join(s.fixture.moduleDir, "kernel/drivers/net/dummy.ko"), plain);
    run("gzip", ["-k", "-9", plain]);
    const theirs = kmodModinfo([plain]);
    const ours = await modbundleModinfo([`${plain}.gz`]);
    assertSameRun(ours, { ...theirs, stdout: theirs.stdout.replace(`${plain}\n`, `${plain}.gz\n`) }, "dummy.ko.gz");
  });

  it("the directory itself, without a bundle (kmod's text index files)", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const sample = s.mirror.names.filter((_, i) => i % 10 === 0);
    const common = ["-b", s.mirror.base, "-k", s.mirror.version];
    const ours = await modbundleModinfo([...common, ...sample, ...s.mirror.builtinNames.slice(0, 20), "fs-debugfs"]);
    assertSameRun(ours, kmodModinfo([...common, ...sample, ...s.mirror.builtinNames.slice(0, 20), "fs-debugfs"]), "directory");
  });

  it("a bundle packed with --compress xz (a sample of the tree)", async (t) => {
    const s = await setup(t);
    if (!s) return;
    // Packing all 4000 modules with xz takes minutes: a tree of every 25th module, plus a few
    // chosen ones, with the real support files, is packed instead.
    const subset = path.join(s.scratch, "xz-tree", s.mirror.version);
    const dep = fs.readFileSync(path.join(s.mirror.moduleDir, "modules.dep"), "latin1").split("\n").filter((l) => l !== "");
    const chosen = new Set(["kernel/drivers/net/dummy.ko", "kernel/sound/pci/hda/snd-hda-intel.ko"]);
    const paths = dep.map((l) => l.slice(0, l.indexOf(":"))).filter((p, i) => i % 25 === 0 || chosen.has(p));
    for (const rel of paths) {
      fs.mkdirSync(path.dirname(path.join(subset, rel)), { recursive: true });
      fs.symlinkSync(path.join(s.fixture.moduleDir, rel), path.join(subset, rel));
    }
    // pack takes the kernel's lists only as regular files of the tree (no links out of it).
    for (const rel of ["modules.builtin", "modules.builtin.modinfo", "modules.order"]) fs.copyFileSync(path.join(s.fixture.moduleDir, rel), path.join(subset, rel));
    const bundle = await packTree(subset, "xz", path.join(s.scratch, "xz.bundle"));
    const names = paths.map((p) => path.basename(p, ".ko").replace(/-/g, "_"));
    const common = ["-b", s.mirror.base, "-k", s.mirror.version];
    for (const options of [[], ["-F", "filename"], ["-F", "signature"]]) {
      const ours = await modbundleModinfo([...common, "--bundle", bundle, ...options, ...names]);
      const theirs = kmodModinfo([...common, ...options, ...names]);
      // The same modules, stored as .ko.xz: only their file names differ.
      const expected = theirs.stdout.replace(/(\/kernel\/[^\n\0]*\.ko)([\n\0])/g, "$1.xz$2");
      assertSameRun(ours, { ...theirs, stdout: expected }, `xz bundle ${options.join(" ")}`);
    }
    t.diagnostic(`${names.length} modules compared from the xz bundle`);
  });
});
