import fs = require("node:fs");
import { CommandIO } from "../cli-kit/io";
import { DEFAULT_CONFIG_PATHS, loadModprobeConfig } from "../config/load";
import { ModprobeConfig } from "../config/types";
import { ModbundleError } from "../errors";
import { defaultBundlePath, directoryLookups, moduleDirname, openModuleDatabase } from "../resolve/locate";
import { ModuleDatabase } from "../resolve/module-db";
import { bytesOf } from "../util/bytes";

/**
 * Opening what a kmod command works on: the module database (bundle or directory) and the
 * modprobe configuration. A module directory without index files is an empty database, as it is
 * for kmod (every lookup then fails with kmod's own message).
 */
export interface DatabaseOptions {
  readonly bundle?: string;
  readonly root?: string;
  readonly version?: string;
}

/**
 * Neither ROOT/boot/modules-VER nor an index in ROOT/lib/modules/VER: kmod would say "not found in
 * directory D"; the message names both places looked at, and what each lacks.
 */
function emptyDatabase(dirname: string, version: string, bundlePath: string): ModuleDatabase {
  let directoryExists = false;
  try {
    directoryExists = fs.statSync(bytesOf(dirname)).isDirectory();
  } catch {
    // absent
  }
  const places = directoryExists
    ? `directory ${dirname} (it has no modules.dep) or bundle ${bundlePath} (there is none)`
    : `directory ${dirname} or bundle ${bundlePath} (neither exists)`;
  return new ModuleDatabase(dirname, directoryLookups().emptyLookup(version, dirname), undefined, places);
}

export function openDatabase(options: DatabaseOptions, io: CommandIO): ModuleDatabase {
  try {
    return openModuleDatabase({ bundle: options.bundle, root: options.root, version: options.version, env: io.env, release: () => io.release() });
  } catch (error) {
    if (error instanceof ModbundleError && error.code === "ETREE") {
      const version = options.version ?? io.release();
      return emptyDatabase(moduleDirname(options.root, options.version, () => version), version, defaultBundlePath(options.root, version));
    }
    throw error;
  }
}

export function loadConfig(db: ModuleDatabase, configPaths: readonly string[], io: CommandIO, warn: (message: string) => void): ModprobeConfig {
  return loadModprobeConfig({
    paths: configPaths.length > 0 ? configPaths : DEFAULT_CONFIG_PATHS,
    moduleDirFiles: (["modules.softdep", "modules.weakdep"] as const).map((name) => ({
      name,
      path: `${db.dirname}/${name}`,
      text: db.readDepFile(name),
    })),
    kernelCmdline: io.kernelCmdline(),
    warn,
  });
}
