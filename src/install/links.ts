import fs = require("node:fs");
import path = require("node:path");
import { ModbundleError, describeSystemError } from "../errors";

/**
 * `modbundle link`: the kmod command names as symbolic links to modbundle, so that
 * /sbin/modprobe (and the kernel's request_module) runs it. An existing file is replaced only
 * when it is already a link to modbundle, or with `force`; each link is created under a
 * temporary name and renamed into place, so a name is never missing.
 */
export const KMOD_NAMES = ["modprobe", "insmod", "rmmod", "lsmod", "modinfo"] as const;

export interface LinkResult {
  readonly name: string;
  readonly path: string;
  readonly action: "created" | "replaced" | "unchanged";
}

function isOurs(link: string, program: string): boolean {
  try {
    if (!fs.lstatSync(link).isSymbolicLink()) return false;
    return fs.realpathSync(link) === program;
  } catch {
    return false;
  }
}

export function createLinks(directory: string, programPath: string, force: boolean): LinkResult[] {
  let program: string;
  try {
    program = fs.realpathSync(programPath);
    if (!fs.statSync(directory).isDirectory()) throw new ModbundleError("EIO", `${directory}: Not a directory`);
  } catch (error) {
    if (error instanceof ModbundleError) throw error;
    throw new ModbundleError("EIO", `${(error as NodeJS.ErrnoException).path ?? directory}: ${describeSystemError(error)}`);
  }
  // Every name is checked before any is changed: a refusal leaves the directory as it was.
  const plans = KMOD_NAMES.map((name) => {
    const file = path.join(directory, name);
    let exists = true;
    try {
      fs.lstatSync(file);
    } catch {
      exists = false;
    }
    const ours = exists && isOurs(file, program);
    if (exists && !ours && !force) {
      throw new ModbundleError("EUNSAFE", `${file} exists and is not a link to modbundle (use --force to replace it)`);
    }
    return { name, file, exists, ours };
  });
  return plans.map(({ name, file, exists, ours }) => {
    if (ours && fs.readlinkSync(file) === program) return { name, path: file, action: "unchanged" as const };
    const temporary = path.join(directory, `.${name}.modbundle-${process.pid}`);
    try {
      fs.rmSync(temporary, { force: true });
      fs.symlinkSync(program, temporary);
      fs.renameSync(temporary, file);
    } catch (error) {
      fs.rmSync(temporary, { force: true });
      throw new ModbundleError("EIO", `${file}: ${describeSystemError(error)}`);
    }
    return { name, path: file, action: exists ? ("replaced" as const) : ("created" as const) };
  });
}
