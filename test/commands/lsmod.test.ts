import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it, TestContext } from "node:test";
import { run } from "../../src/commands/lsmod";
import { VERSION_TEXT } from "../../src/cli-kit/version";
import { FakeKernel } from "../../src/kernel/fake-kernel";
import { RealKernel } from "../../src/kernel/real-kernel";
import { runInProcess } from "../helpers/inprocess";
import { kernelModule } from "../helpers/kernel-module";
import { tempDir } from "../helpers/paths";
import { run as runProgram } from "../helpers/run";
import { writeTree } from "../helpers/tree";

process.env.MODBUNDLE_NO_SYSCALLS = "1";

const HEADER = "Module                  Size  Used by";
/**
 * Whether a line is exactly kmod's printf("%-19s %8ld  %d") followed by " a,b,c" or nothing: the
 * numbers are read back and the line re-formatted, which must give the line itself.
 */
function parses(line: string): boolean {
  const match = /^(\S+) +(-?\d+) {2}(-?\d+)(?: ([^ ,]+(?:,[^ ,]+)*))?$/.exec(line);
  if (!match) return false;
  const [, name, size, refcnt, holders] = match;
  const formatted = `${name.padEnd(19)} ${String(Number(size)).padStart(8)}  ${Number(refcnt)}${holders ? ` ${holders}` : ""}`;
  return formatted === line;
}

function lsmod(args: readonly string[], kernel: FakeKernel | RealKernel) {
  return runInProcess(run, args, { prog: "lsmod", kernel });
}

describe("lsmod", () => {
  it("prints kmod's layout: newest first, sizes right-aligned, holders joined by commas", async () => {
    const kernel = new FakeKernel();
    const flags = { ignoreModversions: false, ignoreVermagic: false };
    await kernel.loadModule(kernelModule("base", { exports: [{ name: "base_fn" }] }), "", flags, false);
    await kernel.loadModule(kernelModule("user_one", { needs: [{ name: "base_fn" }] }), "", flags, false);
    await kernel.loadModule(kernelModule("a_module_with_a_long_name", { needs: [{ name: "base_fn" }] }), "", flags, false);
    kernel.addUsers("user_one", 2);
    const result = await lsmod([], kernel);
    assert.equal(result.status, 0);
    assert.equal(
      result.stdout,
      `${HEADER}\n` +
        "a_module_with_a_long_name     4096  0\n" +
        "user_one                4096  2\n" +
        "base                    4096  2 user_one,a_module_with_a_long_name\n",
    );
    for (const line of result.stdout.split("\n").slice(1, -1)) assert.ok(parses(line), line);
  });

  it("prints -2 (kmod's -ENOENT) for a reference count it cannot read", async () => {
    const kernel = new FakeKernel({ unload: false });
    await kernel.loadModule(kernelModule("m"), "", { ignoreModversions: false, ignoreVermagic: false }, false);
    assert.equal((await lsmod([], kernel)).stdout, `${HEADER}\nm                       4096  -2\n`);
  });

  it("answers -h and -V with status 0, and refuses any other argument with its usage", async () => {
    const cases: Array<[string[], number, string, string]> = [
      [["-h"], 0, "Usage: lsmod\n", ""],
      [["--help"], 0, "Usage: lsmod\n", ""],
      [["-V"], 0, VERSION_TEXT, ""],
      [["--version"], 0, VERSION_TEXT, ""],
      [["-x"], 1, "", "Usage: lsmod\n"],
      [["extra"], 1, "", "Usage: lsmod\n"],
      [["-h", "extra"], 1, "", "Usage: lsmod\n"],
    ];
    for (const [args, status, stdout, stderr] of cases) {
      const result = await lsmod(args, new FakeKernel());
      assert.deepEqual([result.status, result.stdout, result.stderr], [status, stdout, stderr], args.join(" "));
    }
  });

  it("reads a /sys + /proc tree through RealKernel", async (t) => {
    const root = tempDir("lsmod-root");
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    writeTree(root, {
      "proc/modules": "dm_mod 184320 2 dm_crypt, Live 0x0\ndm_crypt 65536 0 - Live 0x0\nold 16384 0 - Live 0x0\n",
      "sys/module/dm_mod/coresize": "180224\n",
      "sys/module/dm_mod/refcnt": "2\n",
      "sys/module/dm_crypt/coresize": "61440\n",
      "sys/module/dm_crypt/refcnt": "0\n",
      "sys/module/old/refcnt": "0\n",
    });
    fs.mkdirSync(path.join(root, "sys/module/dm_mod/holders/dm_crypt"), { recursive: true });
    fs.mkdirSync(path.join(root, "sys/module/dm_crypt/holders"), { recursive: true });
    const result = await lsmod([], new RealKernel(root));
    assert.equal(result.stdout, `${HEADER}\ndm_mod                180224  2 dm_crypt\ndm_crypt               61440  0\nold                    16384  0\n`);
  });

  it("behaves as Debian's lsmod on this machine (read-only)", async (t: TestContext) => {
    let peer;
    try {
      peer = runProgram("lsmod", []);
    } catch {
      return t.skip("Debian's lsmod is not installed");
    }
    const ours = await lsmod([], new RealKernel());
    if (peer.status !== 0) {
      // No /proc/modules here (a kernel without modules): the same messages and status. Debian's
      // libkmod is built with debugging, which puts its source position in its own message;
      // modbundle prints that message as the tool's.
      const theirs = peer.stderr.replace(/^libkmod: ERROR \S+:\d+ \w+: /gm, "lsmod: ERROR: ");
      assert.deepEqual([ours.status, ours.stdout, ours.stderr], [peer.status, peer.stdout, theirs]);
      return;
    }
    const theirs = peer.stdout.split("\n");
    const mine = ours.stdout.split("\n");
    assert.equal(mine[0], theirs[0]);
    assert.equal(mine[0], HEADER);
    for (const line of [...theirs.slice(1, -1), ...mine.slice(1, -1)]) assert.ok(parses(line), `not kmod's layout: ${JSON.stringify(line)}`);
    // Modules may come and go between the two runs; the names are compared, not the numbers.
    const names = (lines: string[]) => lines.slice(1, -1).map((l) => l.split(" ")[0]).sort();
    assert.deepEqual(names(mine), names(theirs));
  });
});
