import fs = require("node:fs");
import path = require("node:path");
import { BundleIndex, encodeIndex, MemberRecord } from "../bundle/index-codec";
import { ModbundleError } from "../errors";
import { parseBuiltinList, parseBuiltinModinfo } from "../index/builtin";
import { IndexAlias, IndexModule, IndexSymbol, ModuleIndex } from "../index/types";
import { moduleNameFromPath, normalizeAlias } from "../util/modname";
import { bytesOf } from "../util/bytes";

/**
 * A plain module directory (no bundle): kmod's text index files, read into the same index a
 * bundle carries, so that one reader serves both. modules.dep is required; the others are
 * optional, as they are for kmod.
 */
function readText(dir: string, name: string): string | undefined {
  try {
    return fs.readFileSync(bytesOf(path.join(dir, name)), "latin1");
  } catch {
    return undefined;
  }
}

export function loadDirectoryIndex(dir: string, kernelVersion: string): BundleIndex {
  const depText = readText(dir, "modules.dep");
  if (depText === undefined) {
    throw new ModbundleError("ETREE", `${dir}/modules.dep: No such file or directory`);
  }
  const paths: string[] = [];
  const depPaths: string[][] = [];
  for (const line of depText.split("\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    paths.push(line.slice(0, colon));
    depPaths.push(line.slice(colon + 1).split(/[ \t]+/).filter((p) => p !== ""));
  }
  const byPath = new Map(paths.map((p, i) => [p, i]));
  const byName = new Map<string, number>();
  paths.forEach((p, i) => {
    const name = moduleNameFromPath(p);
    if (!byName.has(name)) byName.set(name, i);
  });
  const modules: IndexModule[] = paths.map((p, i) => ({
    name: moduleNameFromPath(p),
    path: p,
    deps: depPaths[i].flatMap((d) => {
      const at = byPath.get(d) ?? byName.get(moduleNameFromPath(d));
      return at === undefined ? [] : [at];
    }),
    softdeps: [],
    weakdeps: [],
  }));

  const aliases: IndexAlias[] = [];
  for (const line of (readText(dir, "modules.alias") ?? "").split("\n")) {
    const [command, pattern, target] = line.split(/[ \t]+/);
    if (command !== "alias" || pattern === undefined || target === undefined) continue;
    const module = byName.get(target);
    if (module === undefined) continue;
    aliases.push({ pattern, key: normalizeAlias(pattern), module, target });
  }
  const symbols: IndexSymbol[] = [];
  for (const line of (readText(dir, "modules.symbols") ?? "").split("\n")) {
    const [command, alias, target] = line.split(/[ \t]+/);
    if (command !== "alias" || !alias?.startsWith("symbol:") || target === undefined) continue;
    const module = byName.get(target);
    if (module !== undefined) symbols.push({ name: alias.slice("symbol:".length), module });
  }
  let builtinModinfo: Buffer | undefined;
  try {
    builtinModinfo = fs.readFileSync(bytesOf(path.join(dir, "modules.builtin.modinfo")));
  } catch {
    builtinModinfo = undefined;
  }
  const index: ModuleIndex = {
    kernelVersion,
    modules,
    aliases,
    symbols: symbols.sort((a, b) => Buffer.compare(Buffer.from(a.name, "latin1"), Buffer.from(b.name, "latin1"))),
    builtin: parseBuiltinList(readText(dir, "modules.builtin")),
    builtinAliases: parseBuiltinModinfo(builtinModinfo).aliases,
    devnames: [],
  };
  const members: MemberRecord[] = paths.map((p) => ({ path: p, offset: 0, size: 0, compression: "none", crc32: 0 }));
  return BundleIndex.fromBuffer(encodeIndex({ index, members }), dir);
}
