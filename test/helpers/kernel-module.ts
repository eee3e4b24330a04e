import * as fs from "node:fs";
import * as path from "node:path";
import type { TestContext } from "node:test";
import { buildModule, FakeModuleSpec } from "./elf-builder";
import { REPO_ROOT, tempDir } from "./paths";
import { writeTree } from "./tree";

/**
 * Synthetic modules the fake kernel accepts (they carry a "name=" in .modinfo, as every module of
 * a 5.x or later kernel does), and the Debian headers' Module.symvers for tests that load real
 * modules into the fake kernel.
 */
export const TEST_VERMAGIC = "6.1.0-test SMP preempt mod_unload modversions ";

export function kernelModule(name: string, spec: FakeModuleSpec = {}): Buffer {
  return buildModule({ ...spec, modinfo: [`name=${name}`, `vermagic=${TEST_VERMAGIC}`, ...(spec.modinfo ?? [])] });
}

/**
 * Module.symvers of the headers package matching the amd64 kernel fixture, fetched by
 * scripts/fetch-headers.sh (npm test runs it). Missing, it fails the test under CI and skips it
 * elsewhere.
 */
export function symversFixture(t: TestContext, arch = "amd64"): string | undefined {
  const src = path.join(REPO_ROOT, ".cache", "kernel", arch, "headers", "usr", "src");
  const found = fs.existsSync(src)
    ? fs.readdirSync(src).map((d) => path.join(src, d, "Module.symvers")).find((f) => fs.existsSync(f))
    : undefined;
  if (!found) {
    const message = `Module.symvers for ${arch} missing: run scripts/fetch-headers.sh ${arch}`;
    if (process.env.CI === "true") throw new Error(message);
    t.skip(message);
    return undefined;
  }
  return found;
}

export const KERNEL_TREE_VERSION = "6.1.0-fake";

/**
 * A module tree the fake kernel can load: base <- mid <- top (each needs the one before),
 * dash-name (file name with a dash, module name with an underscore), and ext4 built in. It is
 * written under `parent` (a new temporary folder by default), which the caller removes.
 */
export function kernelTree(parent: string = tempDir("ktree")): string {
  const dir = path.join(parent, "ktree", KERNEL_TREE_VERSION);
  writeTree(dir, {
    "kernel/lib/base.ko": kernelModule("base", { exports: [{ name: "base_fn" }] }),
    "kernel/lib/mid.ko": kernelModule("mid", { exports: [{ name: "mid_fn" }], needs: [{ name: "base_fn" }] }),
    "kernel/drivers/top.ko": kernelModule("top", { needs: [{ name: "mid_fn" }] }),
    "kernel/drivers/dash-name.ko": kernelModule("dash_name"),
    "modules.order": "kernel/lib/base.ko\nkernel/lib/mid.ko\nkernel/drivers/top.ko\nkernel/drivers/dash-name.ko\n",
    "modules.builtin": "kernel/fs/ext4/ext4.ko\n",
  });
  return dir;
}
