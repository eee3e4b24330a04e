/* eslint-disable @typescript-eslint/no-require-imports -- each part is evaluated only when first used */
import type { Worker, WorkerOptions } from "node:worker_threads";
import { ModbundleError } from "../errors";

/**
 * In the single executable (npm run sea) there are no separate files to load: the build puts
 * this module in place of src/code-cache.ts, and loadOwnModule("…/commands/modprobe.js") finds
 * the same code bundled into the one script, evaluated on first use (the bundler wraps each
 * required part in a lazy initialiser), so that start-up runs only what the command needs. V8's
 * code cache for the whole script is built into the executable. Worker threads run scripts the
 * build bundled separately and stored as the executable's assets, started from their text.
 */
const PARTS: Readonly<Record<string, () => unknown>> = {
  "commands/modprobe.js": () => require("../commands/modprobe"),
  "commands/insmod.js": () => require("../commands/insmod"),
  "commands/rmmod.js": () => require("../commands/rmmod"),
  "commands/lsmod.js": () => require("../commands/lsmod"),
  "commands/modinfo.js": () => require("../commands/modinfo"),
  "commands/tools.js": () => require("../commands/tools"),
  "kernel/factory.js": () => require("../kernel/factory"),
  "io/remote-source.js": () => require("../io/remote-source"),
  "resolve/directory-lookup.js": () => require("../resolve/directory-lookup"),
  "modprobe/batch-insert.js": () => require("../modprobe/batch-insert"),
  "modprobe/modversions.js": () => require("../modprobe/modversions"),
  "compress/zstd/decoder.js": () => require("../compress/zstd/decoder"),
};

export function loadOwnModule<T>(file: string): T {
  const part = Object.keys(PARTS).find((name) => file.endsWith(`/${name}`));
  if (part === undefined) throw new ModbundleError("EIO", `${file}: not part of this executable`);
  return PARTS[part]() as T;
}

/**
 * A worker script is the asset named as its file ("depmod-worker.js"): callers name the file
 * relative to their own, which in the executable is the executable's folder.
 */
export function startOwnWorker(file: string, options?: WorkerOptions): Worker {
  const asset = file.slice(file.lastIndexOf("/") + 1);
  let script: string;
  try {
    script = process.getBuiltinModule("node:sea").getAsset(asset, "utf8");
  } catch {
    throw new ModbundleError("EIO", `${file}: not part of this executable`);
  }
  const { Worker } = process.getBuiltinModule("node:worker_threads");
  return new Worker(script, { ...options, eval: true });
}
