import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { tempDir } from "../helpers/paths";
import { runCli } from "../helpers/run";
import { SMALL_VERSION, smallTree } from "../helpers/small-tree";

/**
 * The mistakes of a first session: a bundle of another kernel, a file or folder that is not a
 * bundle, a stale $MODBUNDLE, a module looked for where there is nothing. Each gets one line that
 * says what was wrong, and status 1.
 */
const work = tempDir("locate");
after(() => fs.rmSync(work, { recursive: true, force: true }));
const conf = path.join(work, "modprobe.d");
fs.mkdirSync(conf);
const tree = smallTree();
const bundle = path.join(work, "small.bundle");
const OTHER = "6.1.0-other";

function packed(): string {
  if (!fs.existsSync(bundle)) assert.equal(runCli(["pack", tree, "-o", bundle]).status, 0);
  return bundle;
}

function fails(args: readonly string[], stderr: string, env?: NodeJS.ProcessEnv): void {
  const result = runCli(args, { env: { ...process.env, MODBUNDLE: "", ...env } });
  assert.deepEqual([result.status, result.stdout, result.stderr], [1, "", stderr], args.join(" "));
}

describe("a bundle of another kernel is not used silently", () => {
  it("--bundle with -S or -k of another version", () => {
    const b = packed();
    const message = `${b} holds the modules of kernel ${SMALL_VERSION}, not of ${OTHER}`;
    fails(["modprobe", "-C", conf, "--bundle", b, "-S", OTHER, "-D", "top"], `modprobe: ERROR: ${message}\n`);
    fails(["modinfo", "--bundle", b, "-k", OTHER, "base"], `modinfo: ERROR: ${message}\n`);
    fails(["modprobe", "-C", conf, "-S", OTHER, "-D", "top"], `modprobe: ERROR: $MODBUNDLE (${b}) holds the modules of kernel ${SMALL_VERSION}, not of ${OTHER}\n`, { MODBUNDLE: b });
    const same = runCli(["modprobe", "-C", conf, "--bundle", b, "-S", SMALL_VERSION, "-D", "top"]);
    assert.equal(same.status, 0, same.stderr);
  });

  it("ROOT/boot/modules-X whose index says another version", () => {
    const root = path.join(work, "root");
    fs.mkdirSync(path.join(root, "boot"), { recursive: true });
    fs.copyFileSync(packed(), path.join(root, "boot", `modules-${OTHER}`));
    const message = `${root}/boot/modules-${OTHER} holds the modules of kernel ${SMALL_VERSION}, not of ${OTHER}`;
    fails(["modprobe", "-C", conf, "-d", root, "-S", OTHER, "-D", "top"], `modprobe: ERROR: ${message}\n`);
    fails(["modinfo", "-b", root, "-k", OTHER, "top"], `modinfo: ERROR: ${message}\n`);
  });
});

describe("messages a newcomer understands", () => {
  it("a file that is not a bundle says what it is", () => {
    const xz = path.join(work, "base.ko.xz");
    const ko = path.join(tree, "kernel/lib/base.ko");
    const json = path.join(work, "bundle.json");
    fs.writeFileSync(xz, spawnSync("xz", ["-c", ko]).stdout);
    fs.writeFileSync(json, '{"modules": []}\n');
    fails(["info", xz], `modbundle: ERROR: ${xz}: an xz-compressed file, not a bundle\n`);
    fails(["list", json], `modbundle: ERROR: ${json}: a JSON file, not a bundle\n`);
    fails(["modprobe", "-C", conf, "--bundle", ko, "-D", "top"], `modprobe: ERROR: ${ko}: an ELF file (a kernel module?), not a bundle; modinfo and insmod take module files\n`);
  });

  it("--bundle DIR points to -d, a stale $MODBUNDLE names the variable", () => {
    fails(["modprobe", "-C", conf, "--bundle", work, "-D", "top"], `modprobe: ERROR: ${work} is a directory, not a bundle; for a module directory ROOT/lib/modules/VERSION give ROOT with modprobe -d or modinfo -b\n`);
    const gone = path.join(work, "old.bundle");
    fails(["modprobe", "-C", conf, "-D", "top"], `modprobe: ERROR: $MODBUNDLE: ${gone}: No such file or directory\n`, { MODBUNDLE: gone });
    fails(["modinfo", "top"], `modinfo: ERROR: $MODBUNDLE: ${gone}: No such file or directory\n`, { MODBUNDLE: gone });
  });

  it("\"not found\" names every place looked at", () => {
    const root = path.join(work, "empty-root");
    fs.mkdirSync(root);
    fails(["modprobe", "-C", conf, "-d", root, "-S", "9.9", "-D", "top"], `modprobe: FATAL: Module top not found in directory ${root}/lib/modules/9.9 or bundle ${root}/boot/modules-9.9 (neither exists)\n`);
    fs.mkdirSync(path.join(root, "lib/modules/9.9"), { recursive: true });
    fails(["modprobe", "-C", conf, "-d", root, "-S", "9.9", "-D", "top"], `modprobe: FATAL: Module top not found in directory ${root}/lib/modules/9.9 (it has no modules.dep) or bundle ${root}/boot/modules-9.9 (there is none)\n`);
  });

  it("unpack refuses a folder that already holds a module tree, unless --force", () => {
    const target = path.join(work, "unpacked");
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, "notes.txt"), "a folder with other files is fine\n");
    assert.equal(runCli(["unpack", packed(), target]).status, 0);
    fails(["unpack", packed(), target], `modbundle: ERROR: ${target} already holds a module tree (modules.dep); unpack into a new or empty directory, or add --force to write over it\n`);
    const forced = runCli(["unpack", "--force", packed(), target]);
    assert.equal(forced.status, 0, forced.stderr);
  });
});
