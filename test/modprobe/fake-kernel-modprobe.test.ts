import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { FakeKernel } from "../../src/kernel/fake-kernel";
import { runModprobe } from "../../src/modprobe/run";
import { runInProcess } from "../helpers/inprocess";
import { kernelModule } from "../helpers/kernel-module";
import { packTree } from "../helpers/pack";
import { tempDir } from "../helpers/paths";
import { writeTree } from "../helpers/tree";

/**
 * modprobe's behaviour against the fake kernel (hand-written expectations: Debian's kmod cannot
 * be run against a kernel here). The tree: top -> mid -> low -> base (each needing the next one's
 * symbol), extra (a softdep of top), ext4 builtin, and an alias.
 */
const VERSION = "6.1.0-fake";
let bundle: string;
let root: string;
let config: string;

function tree(): Record<string, Buffer | string> {
  return {
    "kernel/lib/base.ko": kernelModule("base", { exports: [{ name: "base_fn" }] }),
    "kernel/lib/low.ko": kernelModule("low", { exports: [{ name: "low_fn" }], needs: [{ name: "base_fn" }] }),
    "kernel/lib/mid.ko": kernelModule("mid", { exports: [{ name: "mid_fn" }], needs: [{ name: "low_fn" }] }),
    "kernel/drivers/top.ko": kernelModule("top", { needs: [{ name: "mid_fn" }], modinfo: ["alias=pci:v00001234d*sv*sd*bc*sc*i*", "softdep=pre: extra", "parm=level:the level"] }),
    "kernel/drivers/extra.ko": kernelModule("extra", {}),
    "kernel/drivers/lonely.ko": kernelModule("lonely", { modinfo: ["alias=fs-lonelyfs"] }),
    "modules.order": "kernel/lib/base.ko\nkernel/lib/low.ko\nkernel/lib/mid.ko\nkernel/drivers/top.ko\nkernel/drivers/extra.ko\nkernel/drivers/lonely.ko\n",
    "modules.builtin": "kernel/fs/ext4/ext4.ko\n",
  };
}

before(async () => {
  const dir = path.join(tempDir("fake"), VERSION);
  writeTree(dir, tree());
  bundle = await packTree(dir);
  root = tempDir("root");
  config = tempDir("conf");
});

function kernel(): FakeKernel {
  return new FakeKernel({ builtin: ["ext4"] });
}

async function modprobe(k: FakeKernel, args: readonly string[], options: { config?: string; commandStatus?: (c: string) => number } = {}) {
  return runInProcess(runModprobe, ["--bundle", bundle, "-C", options.config ?? config, "-d", root, "-S", VERSION, ...args], { kernel: k, commandStatus: options.commandStatus });
}

function loads(k: FakeKernel): string[] {
  return k.calls.filter((c) => c.op === "load" && c.result === "ok").map((c) => c.name as string);
}

describe("modprobe with the fake kernel", () => {
  it("loads a deep chain base-first, the softdep before its user", async () => {
    const k = kernel();
    const result = await modprobe(k, ["top"]);
    assert.equal(result.stderr, "");
    assert.equal(result.status, 0);
    assert.deepEqual(loads(k), ["base", "low", "mid", "extra", "top"]);
    assert.deepEqual(k.loadedNames().sort(), ["base", "extra", "low", "mid", "top"]);
  });

  it("does nothing for a module already loaded, and fails with --first-time", async () => {
    const k = kernel();
    await modprobe(k, ["top"]);
    const before = k.calls.length;
    const again = await modprobe(k, ["top"]);
    assert.equal(again.status, 0);
    assert.equal(k.calls.length, before);
    const first = await modprobe(k, ["--first-time", "top"]);
    assert.equal(first.status, 1);
    assert.equal(first.stderr, "modprobe: ERROR: could not insert 'top': Module already in kernel\n");
  });

  it("treats a builtin module as loaded, and fails it with --first-time", async () => {
    const k = kernel();
    const plain = await modprobe(k, ["ext4"]);
    assert.deepEqual([plain.status, plain.stdout, plain.stderr], [0, "", ""]);
    const first = await modprobe(k, ["--first-time", "ext4"]);
    assert.equal(first.status, 1);
    assert.equal(first.stderr, "modprobe: ERROR: could not insert 'ext4': Module already in kernel\n");
    const shown = await modprobe(k, ["--show-depends", "ext4"]);
    assert.equal(shown.stdout, "builtin ext4\n");
    assert.equal(k.calls.length, 0);
  });

  it("resolves the kernel's own request (modprobe -q -- ALIAS)", async () => {
    const k = kernel();
    const result = await modprobe(k, ["-q", "--", "fs-lonelyfs"]);
    assert.equal(result.status, 0);
    assert.deepEqual(loads(k), ["lonely"]);
    const missing = await modprobe(k, ["-q", "--", "fs-nothing"]);
    assert.deepEqual([missing.status, missing.stderr], [1, ""]);
  });

  it("passes options from the configuration and the command line", async () => {
    const conf = tempDir("conf");
    fs.writeFileSync(path.join(conf, "o.conf"), "options top level=3\noptions base debug=1\n");
    const k = kernel();
    const result = await modprobe(k, ["top", "extra=a b"], { config: conf });
    assert.equal(result.status, 0);
    assert.equal(k.module("top")?.params, 'level=3 extra="a b"');
    assert.equal(k.module("base")?.params, "debug=1 ");
  });

  it("-r removes the module and its unused dependencies in one base-first pass", async () => {
    const k = kernel();
    await modprobe(k, ["top"]);
    const result = await modprobe(k, ["-r", "top"]);
    assert.equal(result.stderr, "");
    assert.equal(result.status, 0);
    // kmod removes each dependency whose refcount is 0 at that moment, base first: base and low are
    // still held when their turn comes, so only mid goes (and extra, the pre-softdep).
    assert.deepEqual(k.loadedNames().sort(), ["base", "low"]);
  });

  it("-r refuses a module in use, names the holder with --remove-holders chains", async () => {
    const k = kernel();
    await modprobe(k, ["mid"]);
    const busy = await modprobe(k, ["-r", "low"]);
    assert.equal(busy.status, 1);
    assert.equal(busy.stderr, "modprobe: FATAL: Module low is in use.\n");
    const holders = await modprobe(k, ["-r", "--remove-holders", "low"]);
    assert.equal(holders.stderr, "");
    assert.equal(holders.status, 0);
    assert.deepEqual(k.loadedNames(), []);
  });

  it("-r of a module not loaded is quiet, and fails with --first-time; builtin is refused", async () => {
    const k = kernel();
    assert.deepEqual(await pick(modprobe(k, ["-r", "lonely"])), [0, ""]);
    assert.deepEqual(await pick(modprobe(k, ["-r", "--first-time", "lonely"])), [1, "modprobe: FATAL: Module lonely is not in kernel.\n"]);
    assert.deepEqual(await pick(modprobe(k, ["-r", "ext4"])), [1, "modprobe: FATAL: Module ext4 is builtin.\n"]);
    assert.deepEqual(await pick(modprobe(k, ["-r", "nosuchmodule"])), [1, "modprobe: FATAL: Module nosuchmodule not found.\n"]);
  });

  it("-w waits for a busy module to be released", async () => {
    const k = kernel();
    await modprobe(k, ["lonely"]);
    k.failRemove("lonely", "EAGAIN", 3);
    const result = await modprobe(k, ["-r", "-w", "2000", "lonely"]);
    assert.equal(result.stderr, "");
    assert.equal(result.status, 0);
    assert.equal(k.calls.filter((c) => c.op === "remove" && c.name === "lonely").length, 4);
    await modprobe(k, ["lonely"]);
    k.failRemove("lonely", "EAGAIN");
    const timeout = await modprobe(k, ["-r", "-w", "30", "lonely"]);
    assert.equal(timeout.status, 1);
    assert.equal(timeout.stderr, "modprobe: ERROR: could not remove 'lonely': Resource temporarily unavailable\n");
  });

  const ERRNOS: Array<[string, string]> = [
    ["ENOENT", "Unknown symbol in module, or unknown parameter (see dmesg)"],
    ["ENOEXEC", "Exec format error"],
    ["EPERM", "Operation not permitted"],
    ["EKEYREJECTED", "Key was rejected by service"],
    ["ESRCH", "No such process"],
    ["EINVAL", "Invalid argument"],
  ];
  for (const [code, text] of ERRNOS) {
    it(`reports ${code} from the kernel as kmod does`, async () => {
      const k = kernel();
      k.failLoad("lonely", code);
      const result = await modprobe(k, ["lonely"]);
      assert.equal(result.status, 1);
      assert.equal(result.stderr, `modprobe: ERROR: could not insert 'lonely': ${text}\n`);
    });
  }

  it("a failed dependency fails the target; a failed softdep does not", async () => {
    const k = kernel();
    k.failLoad("extra", "EPERM");
    assert.equal((await modprobe(k, ["top"])).status, 0);
    assert.deepEqual(k.loadedNames().sort(), ["base", "low", "mid", "top"]);
    const k2 = kernel();
    k2.failLoad("low", "EPERM");
    const failed = await modprobe(k2, ["top"]);
    assert.equal(failed.status, 1);
    assert.equal(failed.stderr, "modprobe: ERROR: could not insert 'top': Operation not permitted\n");
    assert.deepEqual(k2.loadedNames(), ["base"]);
  });

  it("runs install commands with $CMDLINE_OPTS and MODPROBE_MODULE, and reports their failure", async () => {
    const conf = tempDir("conf");
    fs.writeFileSync(path.join(conf, "i.conf"), "install lonely /sbin/setup-lonely $CMDLINE_OPTS --now\noptions lonely speed=9\n");
    const k = kernel();
    const ok = await modprobe(k, ["lonely", "x=1"], { config: conf });
    assert.equal(ok.status, 0);
    assert.deepEqual(ok.commands, [{ command: "/sbin/setup-lonely speed=9 x=1 --now", module: "lonely", modprobeOptions: `-C ${conf}` }]);
    assert.deepEqual(k.loadedNames(), []);
    const bad = await modprobe(k, ["lonely"], { config: conf, commandStatus: () => 3 });
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr, "modprobe: ERROR: Error running install command '/sbin/setup-lonely speed=9  --now' for module lonely: retcode 3\nmodprobe: ERROR: could not insert 'lonely': Invalid argument\n");
  });

  it("refuses a module whose bytes do not match the bundle's checksum, loads the others", async () => {
    const damaged = path.join(tempDir("damaged"), "b");
    const bytes = fs.readFileSync(bundle);
    const name = Buffer.from("kernel/drivers/extra.ko\0");
    const at = bytes.indexOf(name) + name.length + 60;
    bytes[at] ^= 0xff;
    fs.writeFileSync(damaged, bytes);
    const k = kernel();
    const result = await runInProcess(runModprobe, ["--bundle", damaged, "-C", config, "-d", root, "-S", VERSION, "-a", "extra", "lonely"], { kernel: k });
    assert.equal(result.status, 1);
    assert.equal(result.stderr, `modprobe: ERROR: could not insert 'extra': ${damaged}: checksum mismatch in kernel/drivers/extra.ko\n`);
    assert.deepEqual(k.loadedNames(), ["lonely"]);
    assert.ok(!k.calls.some((c) => c.op === "load" && c.name === "extra"), "nothing of the damaged module reached the kernel");
  });
});

async function pick(result: Promise<{ status: number; stderr: string }>): Promise<[number, string]> {
  const r = await result;
  return [r.status, r.stderr];
}
