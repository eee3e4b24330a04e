import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it, TestContext } from "node:test";
import { compress } from "../../src/compress/compress";
import { ElfFile } from "../../src/elf/elf-file";
import { readModinfo } from "../../src/elf/module-elf";
import { KernelError } from "../../src/kernel/kernel";
import { ModuleSyscalls, RealKernel } from "../../src/kernel/real-kernel";
import { kernelModule } from "../helpers/kernel-module";
import { tempDir } from "../helpers/paths";
import { writeTree } from "../helpers/tree";

process.env.MODBUNDLE_NO_SYSCALLS = "1";

/**
 * RealKernel's readers against a /sys + /proc tree built in a temporary folder, and its loading
 * logic against recorded system calls: reading is harmless, and no test here can reach the real
 * module system calls (MODBUNDLE_NO_SYSCALLS is set, and every loading test injects a recorder).
 */
function fakeRoot(t: TestContext, files: Record<string, string>, dirs: readonly string[] = []): string {
  const root = tempDir("sysroot");
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  writeTree(root, files);
  for (const dir of dirs) fs.mkdirSync(path.join(root, dir), { recursive: true });
  return root;
}

const TREE = {
  "proc/modules": [
    "btrfs 1703936 0 - Live 0xffffffffc0a00000",
    "xor 24576 1 btrfs, Live 0xffffffffc0800000",
    "raid6_pq 122880 1 btrfs, Live 0xffffffffc0900000",
    "nosize 8192 0 - Live 0xffffffffc0100000",
    "vanished 4096 0 - Live 0xffffffffc0200000",
    "",
  ].join("\n"),
  "sys/module/btrfs/initstate": "live\n",
  "sys/module/btrfs/refcnt": "0\n",
  "sys/module/btrfs/coresize": "1699840\n",
  "sys/module/xor/initstate": "live\n",
  "sys/module/xor/refcnt": "1\n",
  "sys/module/xor/coresize": "20480\n",
  "sys/module/raid6_pq/initstate": "going\n",
  "sys/module/raid6_pq/refcnt": "-1\n",
  "sys/module/raid6_pq/coresize": "118784\n",
  "sys/module/nosize/initstate": "live\n",
  "sys/module/nosize/refcnt": "2\n",
  "sys/module/odd/initstate": "weird\n",
  "sys/module/compression": "zstd\n",
};
const DIRS = ["sys/module/btrfs/holders", "sys/module/xor/holders/btrfs", "sys/module/raid6_pq/holders/btrfs", "sys/module/nosize/holders", "sys/module/vt/parameters"];

describe("RealKernel: state from /sys/module and /proc/modules", () => {
  it("reads initstate as kmod does: live, going, a directory without initstate is coming", (t) => {
    const kernel = new RealKernel(fakeRoot(t, TREE, DIRS));
    assert.equal(kernel.initstate("btrfs"), "live");
    assert.equal(kernel.initstate("raid6_pq"), "going");
    assert.equal(kernel.initstate("vt"), "coming");
    assert.equal(kernel.initstate("odd"), undefined, "an unknown state is not a state");
    assert.equal(kernel.initstate("absent"), undefined);
  });

  it("reads refcnt and holders, undefined when the file or folder is missing", (t) => {
    const kernel = new RealKernel(fakeRoot(t, TREE, DIRS));
    assert.equal(kernel.refcnt("xor"), 1);
    assert.equal(kernel.refcnt("raid6_pq"), -1);
    assert.equal(kernel.refcnt("vt"), undefined);
    assert.deepEqual(kernel.holders("xor"), ["btrfs"]);
    assert.deepEqual(kernel.holders("btrfs"), []);
    assert.equal(kernel.holders("vt"), undefined);
  });

  it("lists /proc/modules in order with coresize, falling back to its size column, skipping vanished modules", (t) => {
    const kernel = new RealKernel(fakeRoot(t, TREE, DIRS));
    assert.deepEqual(kernel.loadedModules(), [
      { name: "btrfs", size: 1699840, refcnt: 0, holders: [] },
      { name: "xor", size: 20480, refcnt: 1, holders: ["btrfs"] },
      { name: "raid6_pq", size: 118784, refcnt: -1, holders: ["btrfs"] },
      { name: "nosize", size: 8192, refcnt: 2, holders: [] },
    ]);
  });

  it("without /sys/module at all lists every module, with sizes from /proc/modules and unknown counts", (t) => {
    const kernel = new RealKernel(fakeRoot(t, { "proc/modules": TREE["proc/modules"] }));
    const modules = kernel.loadedModules();
    assert.deepEqual(modules.map((m) => [m.name, m.size, m.refcnt, m.holders.length]), [
      ["btrfs", 1703936, undefined, 0],
      ["xor", 24576, undefined, 0],
      ["raid6_pq", 122880, undefined, 0],
      ["nosize", 8192, undefined, 0],
      ["vanished", 4096, undefined, 0],
    ]);
  });

  it("fails with the errno when /proc/modules cannot be read", (t) => {
    const kernel = new RealKernel(fakeRoot(t, {}));
    assert.throws(() => kernel.loadedModules(), (e: unknown) => e instanceof KernelError && e.code === "ENOENT" && e.errno === 2);
  });

  it("reads the kernel's own decompression from /sys/module/compression", (t) => {
    assert.equal(new RealKernel(fakeRoot(t, TREE, DIRS)).inKernelDecompression(), "zstd");
    assert.equal(new RealKernel(fakeRoot(t, {})).inKernelDecompression(), undefined);
    assert.equal(new RealKernel(fakeRoot(t, { "sys/module/compression": "lz4\n" })).inKernelDecompression(), undefined);
  });
});

interface Recorded {
  readonly calls: string[];
  /** What finit_module read from the memfd. */
  readonly finitImages: Buffer[];
  readonly initImages: Buffer[];
}

/** System calls that record and answer as scripted; the "memfd" is a real temporary file. */
function recorder(t: TestContext, answers: { finit?: string; init?: string; remove?: string } = {}): { syscalls: ModuleSyscalls; recorded: Recorded } {
  const dir = tempDir("memfd");
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const recorded: Recorded = { calls: [], finitImages: [], initImages: [] };
  const fail = (code: string | undefined): void => {
    if (code) throw new KernelError(code, 0, code);
  };
  const syscalls: ModuleSyscalls = {
    memfdCreate: (name, flags) => {
      recorded.calls.push(`memfd_create(${name}, ${flags})`);
      return fs.openSync(path.join(dir, `memfd-${recorded.calls.length}`), "w+");
    },
    finitModule: (fd, params, flags) => {
      recorded.calls.push(`finit_module(${params}, ${flags})`);
      // As the kernel does: the whole file from offset 0, whatever the descriptor's position.
      const image = Buffer.alloc(fs.fstatSync(fd).size);
      fs.readSync(fd, image, 0, image.length, 0);
      recorded.finitImages.push(image);
      fail(answers.finit);
    },
    initModule: (image, params) => {
      recorded.calls.push(`init_module(${image.length}, ${params})`);
      recorded.initImages.push(Buffer.from(image));
      fail(answers.init);
    },
    deleteModule: (name, flags) => {
      recorded.calls.push(`delete_module(${name}, ${flags})`);
      fail(answers.remove);
    },
  };
  return { syscalls, recorded };
}

describe("RealKernel: loading and removing through the system calls", () => {
  const image = kernelModule("loadme", { versions: [{ name: "printk", crc: 1 }] });

  it("writes the image to a memfd and calls finit_module with the MODULE_INIT flags", async (t) => {
    const { syscalls, recorded } = recorder(t);
    const kernel = new RealKernel("/nonexistent", { syscalls });
    await kernel.loadModule(image, "a=1", { ignoreModversions: true, ignoreVermagic: false }, false);
    await kernel.loadModule(image, "", { ignoreModversions: true, ignoreVermagic: true }, true);
    assert.deepEqual(recorded.calls, ["memfd_create(modbundle, 1)", "finit_module(a=1, 1)", "finit_module(, 7)"]);
    assert.ok(recorded.finitImages[0].equals(image));
  });

  it("reuses the memfd of a finished load, cut to the next image, and closes it once the event loop turns", async (t) => {
    const { syscalls, recorded } = recorder(t, { finit: "EEXIST" });
    const opened: number[] = [];
    const kernel = new RealKernel("/nonexistent", { syscalls: { ...syscalls, memfdCreate: (name, flags) => opened[opened.push(syscalls.memfdCreate(name, flags)) - 1] } });
    const smaller = kernelModule("small");
    assert.ok(smaller.length < image.length);
    const flags = { ignoreModversions: false, ignoreVermagic: false };
    await assert.rejects(kernel.loadModule(image, "", flags, false), (e: unknown) => e instanceof KernelError && e.code === "EEXIST");
    await assert.rejects(kernel.loadModule(smaller, "", flags, false), (e: unknown) => e instanceof KernelError && e.code === "EEXIST");
    assert.equal(opened.length, 1, "a failed load's memfd is reused too");
    assert.ok(recorded.finitImages[1].equals(smaller), "the second load sees exactly its own image");
    assert.ok(fs.fstatSync(opened[0]).isFile());
    await new Promise((resolve) => setImmediate(resolve));
    assert.throws(() => fs.fstatSync(opened[0]), (e: NodeJS.ErrnoException) => e.code === "EBADF");
  });

  it("falls back to init_module on ENOSYS, with the image decompressed and stripped", async (t) => {
    const { syscalls, recorded } = recorder(t, { finit: "ENOSYS" });
    const root = fakeRoot(t, { "sys/module/compression": "xz\n" });
    const info: string[] = [];
    const kernel = new RealKernel(root, { syscalls, info: (m) => info.push(m) });
    await kernel.loadModule(compress("xz", image, "loadme"), "p=2", { ignoreModversions: false, ignoreVermagic: true }, true);
    assert.deepEqual(recorded.calls.slice(1), ["finit_module(p=2, 6)", `init_module(${image.length}, p=2)`]);
    const sent = new ElfFile(recorded.initImages[0], "sent");
    assert.equal(readModinfo(sent).some((e) => e.key === "vermagic"), false);
    assert.equal((sent.section("__versions")?.flags ?? 0) & 2, 2, "modversions were not to be stripped");
    assert.deepEqual(info, []);
  });

  it("does not fall back on any other error", async (t) => {
    const { syscalls, recorded } = recorder(t, { finit: "EKEYREJECTED" });
    const kernel = new RealKernel("/nonexistent", { syscalls });
    await assert.rejects(kernel.loadModule(image, "", { ignoreModversions: false, ignoreVermagic: false }, false), (e: unknown) => e instanceof KernelError && e.code === "EKEYREJECTED");
    assert.equal(recorded.calls.filter((c) => c.startsWith("init_module")).length, 0);
  });

  it("removes with O_NONBLOCK, adding O_TRUNC when forced", (t) => {
    const { syscalls, recorded } = recorder(t);
    const kernel = new RealKernel("/nonexistent", { syscalls });
    kernel.removeModule("m", { force: false });
    kernel.removeModule("m", { force: true });
    assert.deepEqual(recorded.calls, [`delete_module(m, ${fs.constants.O_NONBLOCK})`, `delete_module(m, ${fs.constants.O_NONBLOCK | fs.constants.O_TRUNC})`]);
  });

  it("with MODBUNDLE_NO_SYSCALLS, its default system calls refuse before loading ffi-napi", async () => {
    const kernel = new RealKernel("/nonexistent");
    await assert.rejects(kernel.loadModule(image, "", { ignoreModversions: false, ignoreVermagic: false }, false), (e: unknown) => e instanceof KernelError && e.code === "EPERM");
    assert.throws(() => kernel.removeModule("m", { force: false }), (e: unknown) => e instanceof KernelError && e.code === "EPERM");
    assert.equal(Object.keys(require.cache).some((file) => file.includes("ffi-napi")), false);
  });
});
