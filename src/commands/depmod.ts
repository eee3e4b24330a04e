import os = require("node:os");
import { logLine } from "../cli-kit/output";
import { computeDepmodFiles, writeDepmodFiles } from "../pack/depmod";

export interface DepmodCommandOptions {
  readonly basedir?: string;
  readonly version?: string;
}

/**
 * `modbundle depmod [-b ROOT] [VER]`: depmod's files for ROOT/lib/modules/VER, written there. A
 * broken module file is reported and the rest indexed, status 0, as depmod does.
 */
export async function run(options: DepmodCommandOptions): Promise<number> {
  const version = options.version ?? os.release();
  const moduleDir = `${options.basedir ?? ""}/lib/modules/${version}`;
  const files = await computeDepmodFiles(moduleDir, version, { onModuleError: (message) => logLine("modbundle", "ERROR", message) });
  writeDepmodFiles(moduleDir, files);
  return 0;
}
