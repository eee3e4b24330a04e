import path = require("node:path");

/**
 * A single-executable application sees its own path as process.argv[1]; the dispatcher (src/
 * cli.ts) wants there the name it was invoked by (a `modprobe` link) and, for `modbundle link`,
 * the program to link to: the executable itself. Imported before the dispatcher.
 */
const KMOD_NAMES = new Set(["modprobe", "insmod", "rmmod", "lsmod", "modinfo"]);
process.argv[1] = KMOD_NAMES.has(path.basename(process.argv0)) ? process.argv0 : process.execPath;
