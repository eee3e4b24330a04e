import os = require("node:os");
import { chooseModuleDir } from "../pack/check-inputs";
import { pack, PackCompression } from "../pack/pack";
import { logLine } from "../cli-kit/output";

export interface PackCommandOptions {
  readonly moduleDir?: string;
  readonly output?: string;
  readonly compress: PackCompression;
  readonly only?: readonly string[];
}

export async function run(options: PackCommandOptions): Promise<number> {
  const { moduleDir, kernelVersion: version } = chooseModuleDir(options.moduleDir ?? `/lib/modules/${os.release()}`);
  const output = options.output ?? `/boot/modules-${version}`;
  const compression = options.compress;
  const showProgress = process.stderr.isTTY === true;
  let lastDraw = 0;
  const result = await pack({
    moduleDir,
    output,
    compression,
    kernelVersion: version,
    only: options.only,
    onModuleError: (message) => {
      if (showProgress) process.stderr.write("\r\x1b[K");
      logLine("modbundle", "ERROR", message);
    },
    onProgress: showProgress
      ? (done, total, relpath) => {
          const now = Date.now();
          if (now - lastDraw < 100 && done < total) return;
          lastDraw = now;
          const line = `packing ${done}/${total} ${relpath}`;
          process.stderr.write(`\r${line.slice(0, (process.stderr.columns || 80) - 1)}\x1b[K`);
        }
      : undefined,
  });
  if (showProgress) process.stderr.write("\r\x1b[K");
  if (showProgress) process.stderr.write(`packed ${result.moduleCount} modules into ${output}\n`);
  // Broken modules are packed as depmod lists them (status 0, as depmod's); a file that could not
  // be read is missing from the bundle.
  return result.leftOut > 0 ? 1 : 0;
}
