import { BundleIndex, encodeIndex } from "../bundle/index-codec";
import { loadModprobeConfig } from "../config/load";
import { ModbundleError } from "../errors";
import { computeIndex, depmodModule, listsInput } from "../index/depmod";
import { renderTextIndex } from "../index/text-files";
import { ModuleTree } from "../tree/scan";
import { lookupModules } from "../resolve/lookup";
import { BundleIndexLookup } from "../resolve/index-lookup";
import { ModuleDatabase } from "../resolve/module-db";
import { ModuleContext, ModuleHandle } from "../resolve/modules";
import { softdepsOf } from "../modprobe/probe-plan";
import { readRegularFile } from "../io/regular-file";
import { parseTreeModule } from "./tree-module";

/**
 * `pack --only NAME...`: the modules named (or resolved from aliases, as modprobe resolves them)
 * plus everything they need, hard dependencies and softdeps, transitively. Softdeps come from the
 * modules' own softdep= fields (modules.softdep); no modprobe.d configuration takes part, since
 * the bundle is meant for another system.
 */
export async function selectModules(tree: ModuleTree, kernelVersion: string, names: readonly string[], lists: ReadonlyMap<string, Buffer>): Promise<Set<string>> {
  const modules = [];
  for (const entry of tree.modules) {
    let raw: Buffer;
    try {
      raw = readRegularFile(entry.absolute);
    } catch {
      continue; // unreadable: pack reports it and leaves it out
    }
    // A broken module takes part with nothing (pack reports it): as depmod lists it.
    modules.push(depmodModule(entry.relpath, (await parseTreeModule(raw, entry.absolute)).object));
  }
  const index = computeIndex({
    kernelVersion,
    modules,
    ...listsInput(lists),
  });
  const members = index.modules.map((m) => ({ path: m.path, offset: 0, size: 0, compression: "none" as const, crc32: 0 }));
  const db = new ModuleDatabase(tree.root, new BundleIndexLookup(BundleIndex.fromBuffer(encodeIndex({ index, members }), tree.root)), undefined, `directory ${tree.root}`);
  const config = loadModprobeConfig({
    paths: [],
    moduleDirFiles: [{ name: "modules.softdep", path: `${tree.root}/modules.softdep`, text: renderTextIndex(index, "modules.softdep") }],
    kernelCmdline: undefined,
    warn: () => undefined,
  });
  const ctx = new ModuleContext(db, config);

  const selected = new Set<string>();
  const visit = (module: ModuleHandle): void => {
    const number = ctx.moduleNumber(module);
    if (number < 0) return; // builtin, or only an install command: nothing to store
    const relpath = db.relativePath(number);
    if (selected.has(relpath)) return;
    selected.add(relpath);
    for (const dep of ctx.dependencies(module)) visit(dep);
    const { pre, post } = softdepsOf(ctx, module, () => undefined);
    for (const soft of [...pre, ...post]) visit(soft);
  };
  for (const name of names) {
    const found = lookupModules(ctx, name) ?? [];
    if (!found.some((m) => ctx.moduleNumber(m) >= 0 || ctx.isBuiltin(m))) {
      throw new ModbundleError("ETREE", `--only: module ${name} not found in ${tree.root}`);
    }
    for (const module of found) visit(module);
  }
  return selected;
}
