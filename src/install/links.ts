import fs = require("node:fs");
import path = require("node:path");
import { ModbundleError, describeSystemError } from "../errors";

/**
 * `modbundle link`: the kmod command names in a directory, so that /sbin/modprobe (and with it
 * the kernel's request_module) runs modbundle. The kernel runs its helper with the fixed PATH
 * /sbin:/usr/sbin:/bin:/usr/bin, where `#!/usr/bin/env node` may find no node or another one. So
 * each name is a symbolic link when that is enough — to the single executable itself, or to
 * the script when the kernel's PATH finds this very node — and otherwise a launcher: a
 * two-line shell script running this node, by absolute path, on the script.
 *
 * An existing file is replaced only when it is already ours (such a link or launcher), or with
 * `force`; each name is created under a temporary name (exclusively) and renamed into place, so
 * a name is never missing.
 */
export const KMOD_NAMES = ["modprobe", "insmod", "rmmod", "lsmod", "modinfo"] as const;

/** The PATH the kernel gives its usermode helpers (kernel/umh.c, kernel/kmod.c). */
export const KERNEL_PATH: readonly string[] = ["/sbin", "/usr/sbin", "/bin", "/usr/bin"];

const LAUNCHER_MARK = "# modbundle launcher:";

export interface LinkResult {
  readonly name: string;
  readonly path: string;
  /** "-> PROGRAM" for a link, "runs NODE SCRIPT NAME" for a launcher. */
  readonly description: string;
  readonly action: "created" | "replaced" | "unchanged";
}

export interface LinkOptions {
  /** The node running modbundle (default process.execPath): the single executable itself when `program` is it. */
  readonly node?: string;
  /** Where `/usr/bin/env node` looks when the kernel runs the helper (default KERNEL_PATH). */
  readonly searchPath?: readonly string[];
}

type Plan = { readonly kind: "symlink"; readonly target: string } | { readonly kind: "launcher"; readonly node: string; readonly script: string };

function realpathOrUndefined(file: string): string | undefined {
  try {
    return fs.realpathSync(file);
  } catch {
    return undefined;
  }
}

function nodeOnPath(searchPath: readonly string[]): string | undefined {
  for (const dir of searchPath) {
    const candidate = path.join(dir, "node");
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not there: the next directory
    }
  }
  return undefined;
}

/** Symbolic links when they work under the kernel's PATH, launchers otherwise. */
export function planLinks(program: string, options: LinkOptions = {}): Plan {
  const node = realpathOrUndefined(options.node ?? process.execPath) ?? options.node ?? process.execPath;
  if (program === node) return { kind: "symlink", target: program };
  const found = nodeOnPath(options.searchPath ?? KERNEL_PATH);
  if (found !== undefined && realpathOrUndefined(found) === node) return { kind: "symlink", target: program };
  return { kind: "launcher", node, script: program };
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function launcherText(plan: Plan & { kind: "launcher" }, name: string): string {
  return `#!/bin/sh\n${LAUNCHER_MARK} the kernel's PATH does not reach this node\nexec ${shellQuote(plan.node)} ${shellQuote(plan.script)} ${name} "$@"\n`;
}

/** A link or launcher this command made (for any program). */
function isOurs(file: string, program: string): boolean {
  try {
    const stat = fs.lstatSync(file);
    if (stat.isSymbolicLink()) return fs.realpathSync(file) === program;
    if (!stat.isFile() || stat.size > 4096) return false;
    return fs.readFileSync(file, "utf8").split("\n")[1]?.startsWith(LAUNCHER_MARK) === true;
  } catch {
    return false;
  }
}

function isUnchanged(file: string, plan: Plan, name: string): boolean {
  try {
    if (plan.kind === "symlink") return fs.readlinkSync(file) === plan.target;
    return fs.lstatSync(file).isFile() && fs.readFileSync(file, "utf8") === launcherText(plan, name);
  } catch {
    return false;
  }
}

export function createLinks(directory: string, programPath: string, force: boolean, options: LinkOptions = {}): LinkResult[] {
  let program: string;
  try {
    program = fs.realpathSync(programPath);
    if (!fs.statSync(directory).isDirectory()) throw new ModbundleError("EIO", `${directory}: Not a directory`);
  } catch (error) {
    if (error instanceof ModbundleError) throw error;
    throw new ModbundleError("EIO", `${(error as NodeJS.ErrnoException).path ?? directory}: ${describeSystemError(error)}`);
  }
  const plan = planLinks(program, options);
  // Every name is checked before any is changed: a refusal leaves the directory as it was.
  const names = KMOD_NAMES.map((name) => {
    const file = path.join(directory, name);
    const exists = present(file);
    if (exists && !force && !isOurs(file, program)) {
      throw new ModbundleError("EUNSAFE", `${file} exists and is not a link to modbundle (use --force to replace it)`);
    }
    return { name, file, exists };
  });
  return names.map(({ name, file, exists }) => {
    const description = plan.kind === "symlink" ? `-> ${plan.target}` : `runs ${plan.node} ${plan.script} ${name}`;
    if (exists && isUnchanged(file, plan, name)) return { name, path: file, description, action: "unchanged" as const };
    const temporary = path.join(directory, `.${name}.modbundle-${process.pid}`);
    try {
      fs.rmSync(temporary, { force: true });
      if (plan.kind === "symlink") fs.symlinkSync(plan.target, temporary);
      else fs.writeFileSync(temporary, launcherText(plan, name), { flag: "wx", mode: 0o755 });
      fs.renameSync(temporary, file);
    } catch (error) {
      fs.rmSync(temporary, { force: true });
      throw new ModbundleError("EIO", `${file}: ${describeSystemError(error)}`);
    }
    return { name, path: file, description, action: exists ? ("replaced" as const) : ("created" as const) };
  });
}

/** Anything at that name, a dangling symbolic link included. */
function present(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}
