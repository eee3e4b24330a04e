import { CommandIO } from "../cli-kit/io";
import { DEFAULT_CONFIG_PATHS, loadModprobeConfig } from "../config/load";
import { ModprobeConfig } from "../config/types";
import { ModbundleError } from "../errors";
import { BundleIndex, encodeIndex } from "../bundle/index-codec";
import { openModuleDatabase } from "../resolve/locate";
import { ModuleDatabase } from "../resolve/module-db";
import { moduleDirname } from "../resolve/locate";

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

function emptyDatabase(dirname: string, version: string): ModuleDatabase {
  const index = BundleIndex.fromBuffer(
    encodeIndex({ index: { kernelVersion: version, modules: [], aliases: [], symbols: [], builtin: [], builtinAliases: [], devnames: [] }, members: [] }),
    dirname,
  );
  return new ModuleDatabase(dirname, index, undefined, `directory ${dirname}`);
}

export function openDatabase(options: DatabaseOptions, io: CommandIO): ModuleDatabase {
  try {
    return openModuleDatabase({ bundle: options.bundle, root: options.root, version: options.version, env: io.env, release: () => io.release() });
  } catch (error) {
    if (error instanceof ModbundleError && error.code === "ETREE") {
      return emptyDatabase(moduleDirname(options.root, options.version, () => io.release()), options.version ?? io.release());
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
