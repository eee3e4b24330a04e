import os = require("node:os");
import { chooseModuleDir } from "../pack/check-inputs";
import { pack, PackCompression } from "../pack/pack";

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
  return 0;
}
