/* eslint-disable @typescript-eslint/no-require-imports -- each part is evaluated only when first used */
import { ModbundleError } from "../errors";

/**
 * In the single executable (npm run sea) there are no separate files to load: the build puts
 * this module in place of src/code-cache.ts, and the dispatcher's loadOwnModule("…/commands/
 * modprobe.js") finds the same code bundled into the one script, evaluated on first use (the
 * bundler wraps each required part in a lazy initialiser), so that start-up runs only what the
 * command needs. V8's code cache for the whole script is built into the executable.
 */
const PARTS: Readonly<Record<string, () => unknown>> = {
  "commands/modprobe.js": () => require("../commands/modprobe"),
  "commands/insmod.js": () => require("../commands/insmod"),
  "commands/rmmod.js": () => require("../commands/rmmod"),
  "commands/lsmod.js": () => require("../commands/lsmod"),
  "commands/modinfo.js": () => require("../commands/modinfo"),
  "commands/tools.js": () => require("../commands/tools"),
  "kernel/factory.js": () => require("../kernel/factory"),
};

export function loadOwnModule<T>(file: string): T {
  for (const [part, load] of Object.entries(PARTS)) {
    if (file.endsWith(`/${part}`)) return load() as T;
  }
  throw new ModbundleError("EIO", `${file}: not part of this executable`);
}
