import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { run } from "../../src/commands/insmod";
import { compress } from "../../src/compress/compress";
import { FakeKernel } from "../../src/kernel/fake-kernel";
import { runInProcess } from "../helpers/inprocess";
import { kernelModule, kernelTree } from "../helpers/kernel-module";
import { openBundleFile, packTree } from "../helpers/pack";
import { tempDir } from "../helpers/paths";
import { runCli } from "../helpers/run";

process.env.MODBUNDLE_NO_SYSCALLS = "1";

const dir = tempDir("insmod");
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, contents: Buffer | string): string {
  const at = path.join(dir, name);
  fs.writeFileSync(at, contents);
  return at;
}

function insmod(args: readonly string[], kernel: FakeKernel = new FakeKernel(), env: NodeJS.ProcessEnv = {}) {
  return runInProcess(run, args, { prog: "insmod", kernel, env });
}

describe("insmod: command line", () => {
  it("needs a file name, and refuses stdin", async () => {
    assert.deepEqual(await insmod([]), { status: 1, stdout: "", stderr: "insmod: ERROR: missing filename.\n", commands: [] });
    const stdin = await insmod(["-"]);
    assert.equal(stdin.stderr, "insmod: ERROR: this tool does not support loading from stdin!\n");
    assert.equal(stdin.status, 1);
  });

  it("takes kmod's options: -h and -V print and succeed, an unknown option fails as getopt says", async () => {
    const help = await insmod(["-h"]);
    assert.equal(help.status, 0);
    assert.ok(help.stdout.startsWith("Usage:\n\tinsmod [options] filename [args]\nOptions:\n\t-V, --version     show version\n"));
    const version = await insmod(["--version"]);
    assert.equal(version.status, 0);
    assert.match(version.stdout, /^kmod version /);
    const bad = await insmod(["-x", "a.ko"]);
    assert.deepEqual([bad.status, bad.stderr], [1, "insmod: invalid option -- 'x'\n"]);
    const long = await insmod(["--force", "a.ko"]);
    assert.deepEqual([long.status, long.stderr], [1, "insmod: unrecognized option '--force'\n"]);
  });

  it("inserts a file with its parameters joined by spaces; -f sets both force flags, -p and -s do nothing", async () => {
    const kernel = new FakeKernel();
    const ko = file("plain.ko", kernelModule("plain"));
    const result = await insmod(["-p", "-s", ko, "a=1", "b=two words"], kernel);
    assert.deepEqual([result.status, result.stderr], [0, ""]);
    assert.equal(kernel.module("plain")?.params, "a=1 b=two words");
    await insmod(["-f", file("forced.ko", kernelModule("forced"))], kernel);
    assert.deepEqual(
      kernel.calls.map((c) => (c.op === "load" ? [c.name, c.flags.ignoreModversions, c.flags.ignoreVermagic] : [])),
      [["plain", false, false], ["forced", true, true]],
    );
  });

  it("tells compression by magic, not by name, and passes the kernel's own format compressed", async () => {
    const kernel = new FakeKernel({ compression: "zstd" });
    await insmod([file("xz-in-disguise.ko", compress("xz", kernelModule("one"), "one"))], kernel);
    await insmod([file("two.ko.zst", compress("zstd", kernelModule("two"), "two"))], kernel);
    await insmod([file("three.ko.gz", compress("gzip", kernelModule("three"), "three"))], kernel);
    assert.deepEqual(kernel.calls.map((c) => (c.op === "load" ? [c.name, c.compressed, c.result] : [])), [["one", false, "ok"], ["two", true, "ok"], ["three", false, "ok"]]);
  });
});

describe("insmod: errors in kmod's words", () => {
  const cases: Array<[string, string]> = [
    ["ENOENT", "Unknown symbol in module"],
    ["ENOEXEC", "Invalid module format"],
    ["ESRCH", "Module has wrong symbol version"],
    ["EINVAL", "Invalid parameters"],
    ["EEXIST", "File exists"],
    ["EPERM", "Operation not permitted"],
    ["EKEYREJECTED", "Key was rejected by service"],
    ["EBUSY", "Device or resource busy"],
  ];
  for (const [code, message] of cases) {
    it(`${code}: "${message}"`, async () => {
      const kernel = new FakeKernel();
      kernel.failLoad("victim", code);
      const ko = file(`victim-${code}.ko`, kernelModule("victim"));
      const result = await insmod([ko], kernel);
      assert.equal(result.stderr, `insmod: ERROR: could not insert module ${ko}: ${message}\n`);
      assert.equal(result.status, 1);
    });
  }

  it("maps the kernel's own refusals: unknown symbol, not a module, already loaded", async () => {
    const kernel = new FakeKernel();
    const needy = file("needy.ko", kernelModule("needy", { needs: [{ name: "nowhere_fn" }] }));
    assert.equal((await insmod([needy], kernel)).stderr, `insmod: ERROR: could not insert module ${needy}: Unknown symbol in module\n`);
    const garbage = file("garbage.ko", "this is not an ELF file");
    assert.equal((await insmod([garbage], kernel)).stderr, `insmod: ERROR: could not insert module ${garbage}: Invalid module format\n`);
    const twice = file("twice.ko", kernelModule("twice"));
    assert.equal((await insmod([twice], kernel)).status, 0);
    assert.equal((await insmod([twice], kernel)).stderr, `insmod: ERROR: could not insert module ${twice}: File exists\n`);
  });

  it("a missing file cannot be loaded; a short file or a folder cannot be inserted", async () => {
    const kernel = new FakeKernel();
    const missing = path.join(dir, "missing.ko");
    assert.equal((await insmod([missing], kernel)).stderr, `insmod: ERROR: could not load module ${missing}: No such file or directory\n`);
    const tiny = file("tiny.ko", "\x7fELF");
    assert.equal((await insmod([tiny], kernel)).stderr, `insmod: ERROR: could not insert module ${tiny}: Invalid parameters\n`);
    assert.equal((await insmod([dir], kernel)).stderr, `insmod: ERROR: could not insert module ${dir}: Is a directory\n`);
    assert.deepEqual(kernel.calls, [], "nothing reached the kernel");
  });
});

describe("insmod: a module name from the bundle", () => {
  let bundle: string | undefined;
  async function theBundle(): Promise<string> {
    bundle ??= await packTree(kernelTree(dir), "keep", path.join(dir, "modules.bundle"));
    return bundle;
  }

  it("inserts a bare name from --bundle or $MODBUNDLE, normalised, and resolves no dependencies", async () => {
    const file = await theBundle();
    const kernel = new FakeKernel();
    assert.deepEqual(await insmod(["--bundle", file, "base", "x=1"], kernel), { status: 0, stdout: "", stderr: "", commands: [] });
    assert.equal((await insmod(["dash-name"], kernel, { MODBUNDLE: file })).status, 0);
    const top = await insmod(["--bundle", file, "top"], kernel);
    assert.equal(top.stderr, "insmod: ERROR: could not insert module top: Unknown symbol in module\n");
    assert.deepEqual(kernel.loadedNames(), ["base", "dash_name"]);
    assert.equal(kernel.module("base")?.params, "x=1");
  });

  it("does not look up what is not found, or what looks like a path", async () => {
    const file = await theBundle();
    assert.equal((await insmod(["--bundle", file, "nosuch"])).stderr, "insmod: ERROR: could not load module nosuch: No such file or directory\n");
    assert.equal((await insmod(["--bundle", file, "base.ko"])).stderr, "insmod: ERROR: could not load module base.ko: No such file or directory\n");
  });

  it("names a bundle that cannot be opened, and sends nothing from a damaged member to the kernel", async () => {
    const missing = await insmod(["--bundle", path.join(dir, "no.bundle"), "base"]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^insmod: ERROR: .*no\.bundle.*\n$/);

    const damaged = path.join(dir, "damaged.bundle");
    fs.copyFileSync(await theBundle(), damaged);
    const reader = openBundleFile(damaged);
    const member = reader.index.moduleMember(reader.index.findModule("base"));
    reader.close();
    const fd = fs.openSync(damaged, "r+");
    fs.writeSync(fd, Buffer.from([0xff]), 0, 1, member.offset + 100);
    fs.closeSync(fd);
    const kernel = new FakeKernel();
    const result = await insmod(["--bundle", damaged, "base"], kernel);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^insmod: ERROR: could not insert module base: .*base\.ko.*\n$/);
    assert.deepEqual(kernel.calls, []);
  });
});

describe("insmod through the CLI", () => {
  it("inserts into the fake kernel of MODBUNDLE_FAKE_KERNEL, which lsmod and rmmod then see", () => {
    const state = path.join(dir, "cli-kernel.json");
    const env = { ...process.env, MODBUNDLE_FAKE_KERNEL: state };
    const ko = file("cli.ko", kernelModule("cli"));
    const inserted = runCli(["insmod", ko, "p=1"], { env });
    assert.deepEqual([inserted.status, inserted.stderr], [0, ""]);
    const listed = runCli(["lsmod"], { env });
    assert.equal(listed.stdout, `Module                  Size  Used by\n${"cli".padEnd(19)} ${"4096".padStart(8)}  0\n`);
    const again = runCli(["insmod", ko], { env });
    assert.deepEqual([again.status, again.stderr], [1, `insmod: ERROR: could not insert module ${ko}: File exists\n`]);
    const removed = runCli(["rmmod", "cli"], { env });
    assert.deepEqual([removed.status, removed.stderr], [0, ""]);
    assert.equal(runCli(["lsmod"], { env }).stdout, "Module                  Size  Used by\n");
  });
});
