import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TestContext } from "node:test";

/** The repository's top folder (tests run from build/test/..., compiled). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
export const CLI = path.join(REPO_ROOT, "dist", "modbundle.js");

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `modbundle-${prefix}-`));
}

export interface KernelFixture {
  /** The unpacked package root (has boot/ and lib/modules/VER). */
  readonly root: string;
  readonly version: string;
  readonly moduleDir: string;
}

/**
 * The Debian kernel unpacked by scripts/fetch-kernel.sh (npm test fetches it first). Missing, it
 * fails the test under CI and skips it elsewhere, with the command that fetches it.
 */
export function kernelFixture(t: TestContext, arch: string): KernelFixture | undefined {
  const root = path.join(REPO_ROOT, ".cache", "kernel", arch, "root");
  const modules = path.join(root, "lib", "modules");
  const versions = fs.existsSync(modules) ? fs.readdirSync(modules) : [];
  if (versions.length !== 1) {
    const message = `kernel fixture for ${arch} missing: run scripts/fetch-kernel.sh ${arch}`;
    if (process.env.CI === "true") throw new Error(message);
    t.skip(message);
    return undefined;
  }
  return { root, version: versions[0], moduleDir: path.join(modules, versions[0]) };
}
