import { ModuleIndex } from "./types";

const made = new WeakMap<ModuleIndex, readonly string[]>();

/**
 * Each module's "path: dep dep ...", as modules.dep lists it (without the newline) and
 * modules.dep.bin stores it: made once for an index that both files are written from.
 */
export function depLines(index: ModuleIndex): readonly string[] {
  let lines = made.get(index);
  if (lines === undefined) {
    const { modules } = index;
    lines = modules.map((module) => `${module.path}:${module.deps.map((d) => ` ${modules[d].path}`).join("")}`);
    made.set(index, lines);
  }
  return lines;
}
