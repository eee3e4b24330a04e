import os = require("node:os");
import { computeDepmodFiles, writeDepmodFiles } from "../pack/depmod";

export interface DepmodCommandOptions {
  readonly basedir?: string;
  readonly version?: string;
}

/** `modbundle depmod [-b ROOT] [VER]`: depmod's files for ROOT/lib/modules/VER, written there. */
export async function run(options: DepmodCommandOptions): Promise<number> {
  const version = options.version ?? os.release();
  const moduleDir = `${options.basedir ?? ""}/lib/modules/${version}`;
  writeDepmodFiles(moduleDir, await computeDepmodFiles(moduleDir, version));
  return 0;
}
