import fs = require("node:fs");
import path = require("node:path");
import { ModbundleError } from "../errors";

/**
 * Unpacking into a folder that already holds a module tree merges two trees under index files
 * that describe only the bundle's modules: kmod would then miss every other module there. So it
 * is refused unless forced. What marks a module tree: kmod's and the kernel build's lists, or a
 * kernel/ folder.
 */
const TREE_MARKS = ["modules.dep", "modules.dep.bin", "modules.order", "modules.builtin", "kernel"];

export function checkUnpackTarget(target: string, force: boolean): void {
  if (force) return;
  const found = TREE_MARKS.find((name) => fs.existsSync(path.join(target, name)));
  if (found === undefined) return;
  throw new ModbundleError("ETREE", `${target} already holds a module tree (${found}); unpack into a new or empty directory, or add --force to write over it`);
}
