import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs = require("node:fs");
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { ModbundleError } from "../../src/errors";
import { pack } from "../../src/pack/pack";
import { kernelModule } from "../helpers/kernel-module";
import { tempDir } from "../helpers/paths";
import { runCli } from "../helpers/run";
import { writeTree } from "../helpers/tree";

/**
 * A pack whose writes fail says so in one line naming the user's target (not the temporary file
 * beside it), exits 1, and leaves nothing behind: a full filesystem (a 1 MiB tmpfs, when this
 * process may mount one) and I/O errors injected into write(2) and fsync(2).
 */
const VERSION = "6.1.0-faults";

function bigTree(): string {
  const dir = path.join(tempDir("faults"), VERSION);
  const padding = (n: number): string => `description=${"x".repeat(n)}`;
  writeTree(dir, {
    "kernel/a.ko": kernelModule("a", { modinfo: [padding(700_000)] }),
    "kernel/b.ko": kernelModule("b", { modinfo: [padding(700_000)] }),
    "modules.order": "kernel/a.ko\nkernel/b.ko\n",
  });
  return dir;
}

function injected(code: string, syscall: string): NodeJS.ErrnoException {
  const messages: Record<string, string> = { EIO: "i/o error", ENOSPC: "no space left on device" };
  return Object.assign(new Error(`${code}: ${messages[code]}, ${syscall}`), { code, syscall, errno: -5 });
}

describe("pack on a filesystem that fails", () => {
  const mounts: string[] = [];
  after(() => {
    for (const dir of mounts) spawnSync("umount", [dir]);
  });

  it("ENOSPC: one line naming the target, exit 1, no temporary left", (t) => {
    const dir = tempDir("tmpfs");
    const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { encoding: "latin1" });
    if (mounted.status !== 0) {
      t.skip(`cannot mount a 1 MiB tmpfs here: ${mounted.stderr.trim()}`);
      return;
    }
    mounts.push(dir);
    const target = path.join(dir, "modules.bundle");
    const result = runCli(["pack", bigTree(), "-o", target]);
    assert.equal(result.stderr, `modbundle: ERROR: cannot write ${target}: No space left on device\n`);
    assert.equal(result.status, 1);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  // The first writes are the bundle's first members (in BundleWriter.create); later ones, modules.
  for (const [syscall, what, failFrom] of [["writeSync", "write", 1], ["writeSync", "write", 8], ["fsyncSync", "fsync", 1]] as const) {
    it(`EIO from ${what} (call ${failFrom} on): one line naming the target; an existing bundle stays as it was`, async () => {
      const out = tempDir("eio");
      const target = path.join(out, "modules.bundle");
      fs.writeFileSync(target, "the previous bundle");
      const moduleDir = bigTree();
      const writable = fs as unknown as Record<string, (...args: unknown[]) => unknown>;
      const original = writable[syscall];
      let calls = 0;
      writable[syscall] = (fd: unknown, ...rest: unknown[]) => {
        if (fd !== 1 && fd !== 2 && ++calls >= failFrom) throw injected("EIO", what);
        return original.call(fs, fd, ...rest);
      };
      try {
        await assert.rejects(
          pack({ moduleDir, output: target, compression: "keep" }),
          (error: unknown) => error instanceof ModbundleError && error.message === `cannot write ${target}: Input/output error`,
        );
      } finally {
        writable[syscall] = original;
      }
      assert.deepEqual(fs.readdirSync(out), ["modules.bundle"]);
      assert.equal(fs.readFileSync(target, "latin1"), "the previous bundle");
    });
  }
});
