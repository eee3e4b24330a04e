import assert from "node:assert/strict";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { FakeKernel } from "../../src/kernel/fake-kernel";
import { kernelModule } from "../helpers/kernel-module";
import { REPO_ROOT, tempDir } from "../helpers/paths";
import { runCli } from "../helpers/run";
import { SMALL_VERSION, smallTree } from "../helpers/small-tree";

process.env.MODBUNDLE_NO_SYSCALLS = "1";

/**
 * The programming interface as it ships: dist/api/index.js (the build's bundle), typed by
 * src/api (the source of its declarations).
 */
type Api = typeof import("../../src/api/index");
const API_FILE = path.join(REPO_ROOT, "dist", "api", "index.js");

function loadApi(): Api {
  return createRequire(__filename)(API_FILE) as Api;
}

function nativeModulesLoaded(): string[] {
  return Object.keys(require.cache).filter((file) => /ffi-napi|ref-napi|\.node$/.test(file));
}

describe("the API (dist/api/index.js)", () => {
  let api: Api;
  let tree: string;
  let bundleFile: string;
  const progress: Array<[number, number, string]> = [];

  before(async () => {
    api = loadApi();
    tree = smallTree();
    bundleFile = path.join(tempDir("api"), "modules.bundle");
    const summary = await api.pack({ moduleDir: tree, output: bundleFile, onProgress: (done, total, file) => progress.push([done, total, file]) });
    assert.deepEqual(summary.kernelVersion, SMALL_VERSION);
    assert.equal(summary.moduleCount, 3);
  });

  it("pack reports progress after each module", () => {
    assert.deepEqual(
      progress.map(([done, total]) => `${done}/${total}`),
      ["1/3", "2/3", "3/3"],
    );
    assert.deepEqual(progress.map(([, , file]) => file).sort(), ["kernel/drivers/top.ko", "kernel/lib/base.ko", "kernel/lib/mid.ko"]);
  });

  it("opens a bundle and lists its modules with dependencies in load order", () => {
    const bundle = api.openBundle(bundleFile);
    try {
      assert.equal(bundle.kernelVersion, SMALL_VERSION);
      assert.equal(bundle.moduleCount, 3);
      assert.deepEqual(bundle.module("top"), { name: "top", path: "kernel/drivers/top.ko", dependencies: ["base", "mid"] });
      assert.equal(bundle.module("nothing"), undefined);
    } finally {
      bundle.close();
    }
  });

  it("looks up names, aliases and builtin modules with kmod's rules", () => {
    const bundle = api.openBundle(bundleFile);
    try {
      assert.deepEqual(bundle.lookup("mid"), [{ name: "mid", builtin: false }]);
      assert.deepEqual(bundle.lookup("mid-alias"), [{ name: "mid", alias: "mid_alias", builtin: false }]);
      assert.deepEqual(bundle.lookup("pci:v00001234d00005678sv0sd0bc01sc02i03"), [{ name: "top", alias: "pci:v00001234d00005678sv0sd0bc01sc02i03", builtin: false }]);
      assert.deepEqual(bundle.lookup("fs-ext4"), [{ name: "ext4", alias: "fs_ext4", builtin: true }]);
      assert.deepEqual(bundle.lookup("no-such-thing"), []);
    } finally {
      bundle.close();
    }
  });

  it("gives the load plan with parameters from the configuration and the caller, as modprobe --show-depends", async () => {
    const config = path.join(tempDir("api-config"), "test.conf");
    fs.writeFileSync(config, "options mid debug=1\noptions top level=2\n");
    const bundle = api.openBundle(bundleFile, { config: [config] });
    let plan;
    try {
      plan = bundle.loadPlan("top", "extra=3");
    } finally {
      bundle.close();
    }
    // top's softdep "pre: base" puts base before it again, as kmod's plan does.
    const dir = `/lib/modules/${SMALL_VERSION}`;
    assert.deepEqual(
      plan.map((s) => [s.name, s.action, s.path, s.parameters, s.required]),
      [
        ["base", "module", `${dir}/kernel/lib/base.ko`, "", true],
        ["mid", "module", `${dir}/kernel/lib/mid.ko`, "debug=1 ", true],
        ["base", "module", `${dir}/kernel/lib/base.ko`, "", true],
        ["top", "module", `${dir}/kernel/drivers/top.ko`, "level=2 extra=3", true],
      ],
    );
    const shown = runCli(["modprobe", "--bundle", bundleFile, "-C", config, "-S", SMALL_VERSION, "--show-depends", "top", "extra=3"]);
    assert.equal(shown.status, 0, shown.stderr);
    assert.equal(shown.stdout, plan.map((s) => `insmod ${s.path} ${s.parameters}\n`).join(""));
  });

  it("reads a module's verified bytes, and refuses bytes that do not match their checksum", async () => {
    const bundle = api.openBundle(bundleFile);
    let member;
    try {
      const bytes = bundle.readModule("mid");
      assert.equal(bytes.compression, "none");
      assert.deepEqual(bytes.data, fs.readFileSync(path.join(tree, "kernel/lib/mid.ko")));
      assert.deepEqual(await bundle.readModuleImage("mid"), bytes.data);
      member = { size: bytes.data.length, first: bytes.data.subarray(0, 64) };
    } finally {
      bundle.close();
    }
    const damaged = path.join(tempDir("api-damaged"), "modules.bundle");
    const copy = fs.readFileSync(bundleFile);
    const at = copy.indexOf(member.first) + Math.floor(member.size / 2);
    copy[at] ^= 0xff;
    fs.writeFileSync(damaged, copy);
    const opened = api.openBundle(damaged);
    try {
      assert.throws(() => opened.readModule("mid"), (error: unknown) => error instanceof api.ModbundleError && error.code === "ECHECKSUM" && /checksum mismatch in kernel\/lib\/mid\.ko/.test(error.message));
    } finally {
      opened.close();
    }
  });

  it("runs kmod commands in-process with their output captured, without loading ffi-napi", async () => {
    const env = { MODBUNDLE: bundleFile, MODBUNDLE_NO_SYSCALLS: "1" };
    const shown = await api.runCommand("modprobe", ["-S", SMALL_VERSION, "-C", "/nonexistent", "--show-depends", "mid"], { env });
    assert.deepEqual(shown, { status: 0, stdout: `insmod /lib/modules/${SMALL_VERSION}/kernel/lib/base.ko \ninsmod /lib/modules/${SMALL_VERSION}/kernel/lib/mid.ko \n`, stderr: "" });
    const info = await api.runCommand("modinfo", ["-F", "description", "base"], { env, release: SMALL_VERSION });
    assert.deepEqual(info, { status: 0, stdout: "base\n", stderr: "" });
    const missing = await api.runCommand("modprobe", ["-S", SMALL_VERSION, "-C", "/nonexistent", "nothing"], { env });
    assert.equal(missing.status, 1);
    assert.equal(missing.stderr, `modprobe: FATAL: Module nothing not found in bundle ${bundleFile}\n`);
    const broken = await api.runCommand("modprobe", ["-S", SMALL_VERSION, "--show-depends", "mid"], { env: { MODBUNDLE: "/nonexistent/bundle" } });
    assert.equal(broken.status, 1);
    assert.match(broken.stderr, /^modprobe: (FATAL|ERROR): \$MODBUNDLE: \/nonexistent\/bundle: No such file or directory\n$/);
    assert.deepEqual(nativeModulesLoaded(), []);
  });

  it("runs commands against a kernel the caller gives", async () => {
    const kernel = new FakeKernel();
    await kernel.loadModule(kernelModule("base"), "", { ignoreModversions: false, ignoreVermagic: false }, false);
    const listed = await api.runCommand("lsmod", [], { kernel });
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /^Module +Size +Used by\nbase +\d+ +0\n$/);
  });
});
