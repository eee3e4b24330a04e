import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { run } from "../../src/commands/rmmod";
import { FakeKernel } from "../../src/kernel/fake-kernel";
import { runInProcess } from "../helpers/inprocess";
import { kernelModule, kernelTree } from "../helpers/kernel-module";
import { packTree } from "../helpers/pack";
import { tempDir } from "../helpers/paths";

process.env.MODBUNDLE_NO_SYSCALLS = "1";

const dir = tempDir("rmmod");
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const NO_FORCE = { ignoreModversions: false, ignoreVermagic: false };

/** a <- b, a <- c (b and c hold a), and a lone module. */
async function kernelWith(options: ConstructorParameters<typeof FakeKernel>[0] = {}): Promise<FakeKernel> {
  const kernel = new FakeKernel(options);
  await kernel.loadModule(kernelModule("a", { exports: [{ name: "a_fn" }] }), "", NO_FORCE, false);
  await kernel.loadModule(kernelModule("b", { needs: [{ name: "a_fn" }] }), "", NO_FORCE, false);
  await kernel.loadModule(kernelModule("c", { needs: [{ name: "a_fn" }] }), "", NO_FORCE, false);
  await kernel.loadModule(kernelModule("lone_mod"), "", NO_FORCE, false);
  return kernel;
}

function rmmod(args: readonly string[], kernel: FakeKernel, env: NodeJS.ProcessEnv = {}) {
  return runInProcess(run, args, { prog: "rmmod", kernel, env });
}

function removals(kernel: FakeKernel): Array<[string, boolean, string]> {
  return kernel.calls.flatMap((c) => (c.op === "remove" ? [[c.name, c.force, c.result] as [string, boolean, string]] : []));
}

describe("rmmod", () => {
  it("removes unused modules, by name (normalised) or by path", async () => {
    const kernel = await kernelWith();
    const ko = path.join(dir, "lone-mod.ko.xz");
    fs.writeFileSync(ko, "");
    assert.deepEqual(await rmmod(["b"], kernel), { status: 0, stdout: "", stderr: "", commands: [] });
    assert.equal((await rmmod([ko], kernel)).status, 0);
    assert.deepEqual(removals(kernel), [["b", false, "ok"], ["lone_mod", false, "ok"]]);
    assert.deepEqual(kernel.loadedNames(), ["a", "c"]);
  });

  it("names the holders of a module in use and leaves it alone", async () => {
    const kernel = await kernelWith();
    const result = await rmmod(["a"], kernel);
    assert.deepEqual([result.status, result.stderr], [1, "rmmod: ERROR: Module a is in use by: b c\n"]);
    assert.deepEqual(removals(kernel), []);
  });

  it("says a module used by something else is in use", async () => {
    const kernel = await kernelWith();
    kernel.addUsers("lone_mod", 1);
    const result = await rmmod(["lone-mod"], kernel);
    assert.deepEqual([result.status, result.stderr], [1, "rmmod: ERROR: Module lone_mod is in use\n"]);
  });

  it("with -f skips the checks and asks the kernel, which may still refuse (two messages, as kmod)", async () => {
    const kernel = await kernelWith();
    kernel.addUsers("lone_mod", 3);
    assert.equal((await rmmod(["-f", "lone_mod"], kernel)).status, 0);
    const held = await rmmod(["--force", "a"], kernel);
    assert.equal(held.status, 1);
    assert.equal(
      held.stderr,
      "rmmod: ERROR: could not remove 'a': Resource temporarily unavailable\n" +
        "rmmod: ERROR: could not remove module a: Resource temporarily unavailable\n",
    );
    assert.deepEqual(removals(kernel), [["lone_mod", true, "ok"], ["a", true, "EAGAIN"]]);
  });

  it("says a module is not loaded, and goes on with the other arguments", async () => {
    const kernel = await kernelWith();
    const result = await rmmod(["absent", "b", "also-absent"], kernel);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, "rmmod: ERROR: Module absent is not currently loaded\nrmmod: ERROR: Module also_absent is not currently loaded\n");
    assert.deepEqual(removals(kernel), [["b", false, "ok"]]);
  });

  it("knows builtin modules from the bundle's modules.builtin", async () => {
    const bundle = await packTree(kernelTree(dir), "keep", path.join(dir, "modules.bundle"));
    const kernel = await kernelWith({ builtin: ["ext4"] });
    const result = await rmmod(["--bundle", bundle, "ext4"], kernel);
    assert.deepEqual([result.status, result.stderr], [1, "rmmod: ERROR: Module ext4 is builtin.\n"]);
    assert.equal((await rmmod(["ext4"], kernel, { MODBUNDLE: bundle })).stderr, "rmmod: ERROR: Module ext4 is builtin.\n");
  });

  it("without a module database sees a builtin module as kmod does: a sysfs folder that cannot be unloaded", async (t) => {
    const release = os.release();
    if (fs.existsSync(`/lib/modules/${release}`) || fs.existsSync(`/boot/modules-${release}`)) {
      return t.skip(`this machine has a module database for ${release}`);
    }
    const kernel = await kernelWith({ builtin: ["ext4"] });
    const result = await rmmod(["ext4"], kernel);
    assert.equal(result.status, 1);
    assert.equal(
      result.stderr,
      "rmmod: ERROR: could not open '/sys/module/ext4/holders': No such file or directory\n" +
        "rmmod: ERROR: Module unloading is not supported\n",
    );
  });

  it("says module unloading is not supported when there is no refcnt", async () => {
    const kernel = await kernelWith({ unload: false });
    const result = await rmmod(["lone_mod"], kernel);
    assert.deepEqual([result.status, result.stderr], [1, "rmmod: ERROR: Module unloading is not supported\n"]);
    assert.deepEqual(removals(kernel), []);
  });

  it("reports a scripted kernel refusal with strerror", async () => {
    const kernel = await kernelWith();
    kernel.failRemove("lone_mod", "EPERM");
    const result = await rmmod(["lone_mod"], kernel);
    assert.equal(result.stderr.split("\n")[1], "rmmod: ERROR: could not remove module lone_mod: Operation not permitted");
  });

  it("parses kmod 30's options, including its unhandled -w", async () => {
    const kernel = await kernelWith();
    assert.deepEqual(await rmmod([], kernel), { status: 1, stdout: "", stderr: "rmmod: ERROR: missing module name.\n", commands: [] });
    const wait = await rmmod(["-w", "b"], kernel);
    assert.deepEqual([wait.status, wait.stderr], [1, "rmmod: ERROR: unexpected getopt_long() value 'w'.\n"]);
    const help = await rmmod(["-h", "-x"], kernel);
    assert.equal(help.status, 0);
    assert.ok(help.stdout.startsWith("Usage:\n\trmmod [options] modulename ...\n"));
    const bad = await rmmod(["-x", "-h"], kernel);
    assert.deepEqual([bad.status, bad.stderr], [1, "rmmod: invalid option -- 'x'\n"]);
    assert.equal((await rmmod(["-v", "--verbose", "b"], kernel)).status, 0);
    assert.deepEqual(removals(kernel), [["b", false, "ok"]]);
  });
});
