import fs = require("node:fs");
import path = require("node:path");
import { ModbundleError } from "../errors";

/**
 * What `pack DIR` packs. DIR is a module directory (/lib/modules/VERSION, named after its kernel),
 * or a staging root as `make modules_install INSTALL_MOD_PATH=DIR` leaves it, with the module
 * directory at DIR/lib/modules/VERSION (or DIR/usr/lib/modules/VERSION): with one kernel there,
 * that one is packed; with several, the user picks.
 */
const STAGED_MODULE_DIRS = ["lib/modules", "usr/lib/modules"];

export interface ModuleDirChoice {
  readonly moduleDir: string;
  readonly kernelVersion: string;
}

function subdirectories(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() || (entry.isSymbolicLink() && isDirectory(path.join(dir, entry.name))))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}

export function chooseModuleDir(given: string): ModuleDirChoice {
  for (const staged of STAGED_MODULE_DIRS) {
    const versions = subdirectories(path.join(given, staged));
    if (versions.length === 0) continue;
    if (versions.length > 1) {
      const choices = versions.map((v) => path.join(given, staged, v)).join(", ");
      throw new ModbundleError("ETREE", `${given} holds the modules of ${versions.length} kernels; give the one to pack: ${choices}`);
    }
    return { moduleDir: path.join(given, staged, versions[0]), kernelVersion: versions[0] };
  }
  return { moduleDir: given, kernelVersion: path.basename(path.resolve(given)) };
}

/** A module directory with nothing to pack is a mistake (a wrong path), not an empty bundle. */
export function checkSomethingToPack(moduleDir: string, moduleCount: number, hasModulesOrder: boolean): void {
  if (moduleCount > 0 || hasModulesOrder) return;
  throw new ModbundleError(
    "ETREE",
    `${moduleDir} has no kernel modules (*.ko*) and no modules.order: expected a module directory such as /lib/modules/VERSION, or a staging root holding lib/modules/VERSION`,
  );
}

/** The bundle is written to a temporary file beside `output`: its folder must exist (named as the user gave it). */
export function checkOutputDirectory(output: string): void {
  const dir = path.dirname(output);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new ModbundleError("EIO", `cannot write ${output}: directory ${dir} does not exist`);
  }
  if (!stat.isDirectory()) throw new ModbundleError("EIO", `cannot write ${output}: ${dir} is not a directory`);
}
