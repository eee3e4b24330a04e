import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { compress } from "../../src/compress/compress";
import { ElfFile } from "../../src/elf/elf-file";
import { FakeKernel, FakeKernelState } from "../../src/kernel/fake-kernel";
import { KernelError, LoadFlags } from "../../src/kernel/kernel";
import { stripSection } from "../../src/kernel/prepare-image";
import { buildModule } from "../helpers/elf-builder";
import { kernelModule, TEST_VERMAGIC } from "../helpers/kernel-module";
import { tempDir } from "../helpers/paths";

process.env.MODBUNDLE_NO_SYSCALLS = "1";

const NO_FORCE: LoadFlags = { ignoreModversions: false, ignoreVermagic: false };

/** a <- b <- c <- d: each needs a symbol of the one before, and one from vmlinux. */
function chain(): Record<string, Buffer> {
  return {
    a: kernelModule("a", { exports: [{ name: "a_fn", crc: 0xa }], needs: [{ name: "printk" }] }),
    b: kernelModule("b", { exports: [{ name: "b_fn", crc: 0xb }], needs: [{ name: "a_fn" }, { name: "printk" }] }),
    c: kernelModule("c", { exports: [{ name: "c_fn", crc: 0xc }], needs: [{ name: "b_fn" }] }),
    d: kernelModule("d", { needs: [{ name: "c_fn" }, { name: "a_fn" }] }),
  };
}

async function rejects(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof KernelError && error.code === code);
}

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => error instanceof KernelError && error.code === code);
}

describe("fake kernel: loading", () => {
  it("loads a deep chain in dependency order, recording holders and reference counts", async () => {
    const kernel = new FakeKernel({ vmlinux: ["printk"] });
    const modules = chain();
    for (const name of ["a", "b", "c", "d"]) await kernel.loadModule(modules[name], `opt_${name}=1`, NO_FORCE, false);
    assert.deepEqual(kernel.loadedModules().map((m) => m.name), ["d", "c", "b", "a"]);
    assert.deepEqual(kernel.holders("a"), ["b", "d"]);
    assert.equal(kernel.refcnt("a"), 2);
    assert.deepEqual(kernel.holders("c"), ["d"]);
    assert.equal(kernel.refcnt("d"), 0);
    assert.equal(kernel.initstate("d"), "live");
    assert.equal(kernel.module("b")?.params, "opt_b=1");
    assert.deepEqual(kernel.calls.map((c) => [c.op, c.name, c.result]), [["load", "a", "ok"], ["load", "b", "ok"], ["load", "c", "ok"], ["load", "d", "ok"]]);
  });

  it("refuses a module whose providers are not loaded yet with ENOENT, naming nothing loaded", async () => {
    const kernel = new FakeKernel({ vmlinux: ["printk"] });
    const modules = chain();
    await kernel.loadModule(modules.a, "", NO_FORCE, false);
    await rejects(kernel.loadModule(modules.c, "", NO_FORCE, false), "ENOENT");
    await rejects(kernel.loadModule(modules.d, "", NO_FORCE, false), "ENOENT");
    assert.deepEqual(kernel.loadedNames(), ["a"]);
    assert.deepEqual(kernel.calls.map((c) => c.result), ["ok", "ENOENT", "ENOENT"]);
  });

  it("treats vmlinux's symbols as always there and weak needs as optional", async () => {
    const kernel = new FakeKernel({ vmlinux: ["printk"] });
    await kernel.loadModule(kernelModule("w", { needs: [{ name: "printk" }, { name: "nowhere", weak: true }] }), "", NO_FORCE, false);
    assert.equal(kernel.initstate("w"), "live");
    await rejects(new FakeKernel().loadModule(kernelModule("x", { needs: [{ name: "printk" }] }), "", NO_FORCE, false), "ENOENT");
  });

  it("gives EEXIST for a module already loaded and for a builtin one", async () => {
    const kernel = new FakeKernel({ builtin: ["ext4"] });
    await kernel.loadModule(kernelModule("solo"), "", NO_FORCE, false);
    await rejects(kernel.loadModule(kernelModule("solo"), "", NO_FORCE, false), "EEXIST");
    await rejects(kernel.loadModule(kernelModule("ext4"), "", NO_FORCE, false), "EEXIST");
    assert.equal(kernel.initstate("ext4"), "coming", "a builtin module is a sysfs directory without initstate");
    assert.equal(kernel.refcnt("ext4"), undefined);
    assert.equal(kernel.holders("ext4"), undefined);
  });

  it("gives ENOEXEC for what is not a module: no ELF, or no name", async () => {
    const kernel = new FakeKernel();
    await rejects(kernel.loadModule(Buffer.from("not an ELF object at all"), "", NO_FORCE, false), "ENOEXEC");
    await rejects(kernel.loadModule(buildModule({ modinfo: ["license=GPL"] }), "", NO_FORCE, false), "ENOEXEC");
    assert.equal(kernel.calls[0].name, undefined);
  });

  it("gives ENOEXEC for a second exporter of a symbol", async () => {
    const kernel = new FakeKernel({ vmlinux: ["printk"] });
    await kernel.loadModule(kernelModule("one", { exports: [{ name: "shared" }] }), "", NO_FORCE, false);
    await rejects(kernel.loadModule(kernelModule("two", { exports: [{ name: "shared" }] }), "", NO_FORCE, false), "ENOEXEC");
    await rejects(kernel.loadModule(kernelModule("three", { exports: [{ name: "printk" }] }), "", NO_FORCE, false), "ENOEXEC");
  });

  it("checks symbol CRCs against __versions unless modversions are ignored or stripped", async () => {
    const vmlinux = new Map([["printk", 0x1111n], ["module_layout", 0x42n]]);
    const bad = kernelModule("crc", { needs: [{ name: "printk" }], versions: [{ name: "printk", crc: 0x2222 }, { name: "module_layout", crc: 0x42 }] });
    await rejects(new FakeKernel({ vmlinux }).loadModule(bad, "", NO_FORCE, false), "EINVAL");
    const forced = new FakeKernel({ vmlinux });
    await forced.loadModule(bad, "", { ignoreModversions: true, ignoreVermagic: false }, false);
    assert.equal(forced.initstate("crc"), "live");

    const stripped = new ElfFile(Buffer.from(bad), "crc");
    stripSection(stripped, "__versions");
    const afterStrip = new FakeKernel({ vmlinux });
    await afterStrip.loadModule(stripped.data, "", NO_FORCE, false);
    assert.equal(afterStrip.initstate("crc"), "live");

    const layout = kernelModule("layout", { versions: [{ name: "module_layout", crc: 0x43 }] });
    await rejects(new FakeKernel({ vmlinux }).loadModule(layout, "", NO_FORCE, false), "ENOEXEC");
  });

  it("checks vermagic when it knows its own, comparing past the version with modversions", async () => {
    const kernel = new FakeKernel({ vermagic: "6.1.0-other SMP preempt mod_unload modversions " });
    const plain = kernelModule("vm");
    await rejects(kernel.loadModule(plain, "", NO_FORCE, false), "ENOEXEC");
    await kernel.loadModule(plain, "", { ignoreModversions: false, ignoreVermagic: true }, false);
    assert.equal(kernel.initstate("vm"), "live");
    // With __versions, only the part after the release is compared.
    await new FakeKernel({ vermagic: "6.1.0-other SMP preempt mod_unload modversions " }).loadModule(
      kernelModule("vv", { versions: [{ name: "nothing", crc: 1 }] }),
      "",
      NO_FORCE,
      false,
    );
    await new FakeKernel({ vermagic: TEST_VERMAGIC }).loadModule(plain, "", NO_FORCE, false);
  });

  it("decompresses an image it was told is compressed, in its own format only", async () => {
    const image = kernelModule("packed");
    const xz = compress("xz", image, "packed");
    const kernel = new FakeKernel({ compression: "xz" });
    await kernel.loadModule(xz, "", NO_FORCE, true);
    assert.equal(kernel.initstate("packed"), "live");
    await rejects(new FakeKernel().loadModule(xz, "", NO_FORCE, true), "EOPNOTSUPP");
    await rejects(new FakeKernel({ compression: "zstd" }).loadModule(xz, "", NO_FORCE, true), "EINVAL");
    await rejects(new FakeKernel({ compression: "xz" }).loadModule(xz, "", NO_FORCE, false), "ENOEXEC");
  });

  it("fails scripted loads with the given errno, a given number of times", async () => {
    const kernel = new FakeKernel();
    kernel.failLoad("flaky", "EAGAIN", 2);
    kernel.failLoad("unsigned", "EKEYREJECTED");
    const flaky = kernelModule("flaky");
    await rejects(kernel.loadModule(flaky, "", NO_FORCE, false), "EAGAIN");
    await rejects(kernel.loadModule(flaky, "", NO_FORCE, false), "EAGAIN");
    await kernel.loadModule(flaky, "", NO_FORCE, false);
    for (let i = 0; i < 3; i++) await rejects(kernel.loadModule(kernelModule("unsigned"), "", NO_FORCE, false), "EKEYREJECTED");
    assert.deepEqual(kernel.loadedNames(), ["flaky"]);
    assert.throws(() => kernel.failLoad("x", "ENOTANERRNO"));
  });
});

describe("fake kernel: removing", () => {
  async function loadedChain(): Promise<FakeKernel> {
    const kernel = new FakeKernel({ vmlinux: ["printk"] });
    const modules = chain();
    for (const name of ["a", "b", "c", "d"]) await kernel.loadModule(modules[name], "", NO_FORCE, false);
    return kernel;
  }

  it("refuses a module other modules hold with EWOULDBLOCK (EAGAIN), even forced", async () => {
    const kernel = await loadedChain();
    throwsCode(() => kernel.removeModule("a", { force: false }), "EAGAIN");
    throwsCode(() => kernel.removeModule("a", { force: true }), "EAGAIN");
    assert.equal(kernel.initstate("a"), "live");
  });

  it("removes from the top down, releasing the providers", async () => {
    const kernel = await loadedChain();
    kernel.removeModule("d", { force: false });
    assert.deepEqual(kernel.holders("a"), ["b"]);
    assert.equal(kernel.refcnt("a"), 1);
    assert.equal(kernel.initstate("d"), undefined);
    for (const name of ["c", "b", "a"]) kernel.removeModule(name, { force: false });
    assert.deepEqual(kernel.loadedModules(), []);
    assert.deepEqual(kernel.calls.filter((c) => c.op === "remove").map((c) => c.name), ["d", "c", "b", "a"]);
  });

  it("refuses a module in use unless forced, one not live with EBUSY, one not loaded with ENOENT", async () => {
    const kernel = new FakeKernel({ builtin: ["ext4"] });
    await kernel.loadModule(kernelModule("used"), "", NO_FORCE, false);
    kernel.addUsers("used", 1);
    throwsCode(() => kernel.removeModule("used", { force: false }), "EAGAIN");
    kernel.removeModule("used", { force: true });
    assert.equal(kernel.initstate("used"), undefined);

    await kernel.loadModule(kernelModule("dying"), "", NO_FORCE, false);
    kernel.setState("dying", "going");
    throwsCode(() => kernel.removeModule("dying", { force: false }), "EBUSY");
    throwsCode(() => kernel.removeModule("absent", { force: false }), "ENOENT");
    throwsCode(() => kernel.removeModule("ext4", { force: false }), "ENOENT");
  });

  it("fails scripted removals, and knows a kernel without module unloading", async () => {
    const kernel = new FakeKernel();
    await kernel.loadModule(kernelModule("m"), "", NO_FORCE, false);
    kernel.failRemove("m", "EPERM", 1);
    throwsCode(() => kernel.removeModule("m", { force: false }), "EPERM");
    kernel.removeModule("m", { force: false });

    const noUnload = new FakeKernel({ unload: false });
    await noUnload.loadModule(kernelModule("m"), "", NO_FORCE, false);
    assert.equal(noUnload.refcnt("m"), undefined);
    assert.equal(noUnload.loadedModules()[0].refcnt, undefined);
    throwsCode(() => noUnload.removeModule("m", { force: false }), "ENOSYS");
  });
});

describe("fake kernel: persistent state", () => {
  it("shares its state through a JSON file, with vmlinux's symbols from a Module.symvers", async () => {
    const dir = tempDir("fake-state");
    try {
      const symvers = path.join(dir, "Module.symvers");
      fs.writeFileSync(symvers, "0x00001111\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n0x00002222\tother_fn\tdrivers/other\tEXPORT_SYMBOL\t\n");
      const file = path.join(dir, "kernel.json");
      const initial: FakeKernelState = { symvers, builtin: ["ext4"], compression: "zstd" };
      fs.writeFileSync(file, JSON.stringify(initial));

      const first = FakeKernel.persistent(file);
      await first.loadModule(kernelModule("p", { needs: [{ name: "printk" }], versions: [{ name: "printk", crc: 0x1111 }] }), "x=1", NO_FORCE, false);
      await rejects(first.loadModule(kernelModule("q", { needs: [{ name: "other_fn" }] }), "", NO_FORCE, false), "ENOENT");
      first.failLoad("r", "EPERM");

      const second = FakeKernel.persistent(file);
      assert.equal(second.initstate("p"), "live");
      assert.equal(second.module("p")?.params, "x=1");
      assert.equal(second.initstate("ext4"), "coming");
      assert.equal(second.inKernelDecompression(), "zstd");
      assert.deepEqual(second.calls.map((c) => [c.name, c.result]), [["p", "ok"], ["q", "ENOENT"]]);
      await rejects(second.loadModule(kernelModule("r"), "", NO_FORCE, false), "EPERM");
      second.removeModule("p", { force: false });

      const saved = JSON.parse(fs.readFileSync(file, "utf8")) as FakeKernelState;
      assert.equal(saved.symvers, symvers, "the symvers path is kept, not expanded");
      assert.deepEqual(saved.modules, []);
      assert.equal(saved.calls?.length, 4);
      assert.equal(FakeKernel.persistent(path.join(dir, "missing.json")).loadedModules().length, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
