import * as fs from "node:fs";
import * as path from "node:path";
import { run } from "./run";
import { tempDir } from "./paths";

/** Writes files (relative path -> contents) under `dir`, creating folders. */
export function writeTree(dir: string, files: Readonly<Record<string, Buffer | string>>): void {
  for (const [relpath, contents] of Object.entries(files)) {
    const file = path.join(dir, relpath);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, contents);
  }
}

export interface DepmodResult {
  readonly status: number | null;
  readonly stderr: string;
  /** The text files depmod wrote, by name (absent when it wrote none). */
  readonly files: Readonly<Record<string, string>>;
}

export const DEPMOD_TEXT_FILES = ["modules.dep", "modules.alias", "modules.softdep", "modules.symbols", "modules.devname"];
/** kmod's binary indexes, what kmod's tools read (compared as latin1 strings, byte for byte). */
export const DEPMOD_BIN_FILES = ["modules.dep.bin", "modules.alias.bin", "modules.symbols.bin", "modules.builtin.bin", "modules.builtin.alias.bin"];

/**
 * Runs Debian's depmod on a mirror of `moduleDir` made of symbolic links (depmod follows them),
 * so that the source tree stays untouched.
 */
export function depmodOf(moduleDir: string, version = path.basename(moduleDir)): DepmodResult {
  const base = tempDir("depmod");
  const mirror = path.join(base, "lib", "modules", version);
  fs.mkdirSync(path.dirname(mirror), { recursive: true });
  const cp = run("cp", ["-rs", path.resolve(moduleDir), mirror]);
  if (cp.status !== 0) throw new Error(`cp -rs failed: ${cp.stderr}`);
  const result = run("depmod", ["-b", base, version]);
  const files: Record<string, string> = {};
  for (const name of [...DEPMOD_TEXT_FILES, ...DEPMOD_BIN_FILES]) {
    const file = path.join(mirror, name);
    if (fs.existsSync(file)) files[name] = fs.readFileSync(file, "latin1");
  }
  fs.rmSync(base, { recursive: true, force: true });
  return { status: result.status, stderr: result.stderr, files };
}
