import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { run as modinfo } from "../../src/commands/modinfo";
import type { CommandIO } from "../../src/cli-kit/io";
import { moduleNameFromPath } from "../../src/util/modname";
import { tempDir } from "../helpers/paths";
import { RunResult } from "../helpers/run";

/**
 * What the modinfo tests share: modbundle's modinfo run in-process with captured output, Debian's
 * modinfo run as a process, a kmod-ready mirror of a module tree, and a comparison that points at
 * the first differing line.
 */
export const KMOD_MODINFO = "/usr/sbin/modinfo";

/** modbundle's modinfo in this process; the kernel is never needed, so asking for it fails. */
export async function modbundleModinfo(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIO = {
    prog: "modinfo",
    env,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    kernel: () => {
      throw new Error("modinfo asked for the kernel");
    },
    system: () => {
      throw new Error("modinfo ran a command");
    },
    kernelCmdline: () => undefined,
    release: () => "0.0.0-modinfo-test",
  };
  const status = await modinfo(args, io);
  return { status, stdout: out.join(""), stderr: err.join("") };
}

/** Debian's modinfo, output as latin1 byte strings (as ours is). */
export function kmodModinfo(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  // argv[0] "modinfo": glibc's getopt names the program as invoked, and so does modbundle's link.
  const result = spawnSync(KMOD_MODINFO, args, { argv0: "modinfo", encoding: "latin1", maxBuffer: 512 << 20, cwd: options.cwd, env: options.env ?? { PATH: process.env.PATH } });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function firstDifference(ours: string, theirs: string): string {
  const a = ours.split("\n");
  const b = theirs.split("\n");
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const show = (lines: string[]): string => lines.slice(Math.max(0, i - 3), i + 3).map((l) => `    ${JSON.stringify(l)}`).join("\n");
  return `first difference at line ${i + 1}\n  modbundle:\n${show(a)}\n  kmod:\n${show(b)}`;
}

/** Stdout, stderr and status equal, or a failure showing where they part. */
export function assertSameRun(ours: RunResult, theirs: RunResult, label: string): void {
  if (ours.stdout !== theirs.stdout) assert.fail(`${label}: stdout differs, ${firstDifference(ours.stdout, theirs.stdout)}`);
  if (ours.stderr !== theirs.stderr) assert.fail(`${label}: stderr differs, ${firstDifference(ours.stderr, theirs.stderr)}`);
  assert.equal(ours.status, theirs.status, `${label}: exit status`);
}

export interface KmodMirror {
  /** The root to pass as -b: BASE/lib/modules/VERSION is the mirror. */
  readonly base: string;
  readonly version: string;
  readonly moduleDir: string;
  /** Every module name in modules.dep, in its order. */
  readonly names: readonly string[];
  /** Every name in modules.builtin. */
  readonly builtinNames: readonly string[];
}

/**
 * A mirror of `moduleDir` made of symbolic links, with the index files Debian's depmod writes
 * (kmod's modinfo reads the binary ones), kept until `remove`.
 */
export function kmodMirror(moduleDir: string, version = path.basename(moduleDir)): KmodMirror {
  const base = tempDir("modinfo-kmod");
  const mirror = path.join(base, "lib", "modules", version);
  fs.mkdirSync(path.dirname(mirror), { recursive: true });
  const cp = spawnSync("cp", ["-rs", path.resolve(moduleDir), mirror], { encoding: "latin1" });
  if (cp.status !== 0) throw new Error(`cp -rs failed: ${cp.stderr}`);
  const depmod = spawnSync("depmod", ["-b", base, version], { encoding: "latin1" });
  if (depmod.status !== 0) throw new Error(`depmod failed: ${depmod.stderr}`);
  const lines = (name: string): string[] => {
    const file = path.join(mirror, name);
    return fs.existsSync(file) ? fs.readFileSync(file, "latin1").split("\n").filter((l) => l !== "") : [];
  };
  return {
    base,
    version,
    moduleDir: mirror,
    names: lines("modules.dep").map((l) => moduleNameFromPath(l.slice(0, l.indexOf(":")))),
    builtinNames: lines("modules.builtin").map(moduleNameFromPath),
  };
}

export function removeMirror(mirror: KmodMirror | undefined): void {
  if (mirror) fs.rmSync(mirror.base, { recursive: true, force: true });
}

/** Splits a long list into batches small enough for one command line. */
export function batches<T>(items: readonly T[], size = 1000): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
