import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TestContext } from "node:test";

/** The repository's top folder (tests run from build/test/..., compiled). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
export const CLI = path.join(REPO_ROOT, "dist", "modbundle.js");

const made: string[] = [];

/**
 * A new directory under the system's temporary folder, removed when the test process exits (each
 * test file is its own process): runs of the suite would otherwise leave gigabytes of trees and
 * bundles behind.
 */
export function tempDir(prefix: string): string {
  if (made.length === 0) process.once("exit", removeTempDirs);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `modbundle-${prefix}-`));
  made.push(dir);
  return dir;
}

function removeTempDirs(): void {
  for (const dir of made) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // A directory a test left unreadable is not worth failing the run for.
    }
  }
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
