import * as fs from "node:fs";
import * as path from "node:path";
import { run, RunResult } from "./run";
import { tempDir } from "./paths";

/**
 * Debian's kmod as the peer: a module tree mirrored with symbolic links and indexed by depmod,
 * and kmod's tools run against it (read-only: -D, -R, -n, -c, modinfo), optionally with a given
 * kernel command line bind-mounted over /proc/cmdline in a private mount namespace.
 */
export interface KmodTree {
  /** The ROOT to pass as -d / -b: ROOT/lib/modules/VERSION is the indexed mirror. */
  readonly base: string;
  readonly version: string;
  readonly dirname: string;
  cleanup(): void;
}

export function kmodTree(moduleDir: string, version = path.basename(moduleDir)): KmodTree {
  const base = tempDir("kmod");
  const dirname = path.join(base, "lib", "modules", version);
  fs.mkdirSync(path.dirname(dirname), { recursive: true });
  const cp = run("cp", ["-rs", path.resolve(moduleDir), dirname]);
  if (cp.status !== 0) throw new Error(`cp -rs: ${cp.stderr}`);
  const depmod = run("depmod", ["-b", base, version]);
  if (depmod.status !== 0) throw new Error(`depmod: ${depmod.stderr}`);
  return { base, version, dirname, cleanup: () => fs.rmSync(base, { recursive: true, force: true }) };
}

export function runKmod(tool: string, args: readonly string[], options: { cmdline?: string } = {}): RunResult {
  if (options.cmdline === undefined) return run(tool, args);
  const file = path.join(tempDir("cmdline"), "cmdline");
  fs.writeFileSync(file, options.cmdline);
  const script = 'mount --bind "$1" /proc/cmdline && shift && exec "$@"';
  return run("unshare", ["-m", "sh", "-c", script, "sh", file, tool, ...args]);
}
