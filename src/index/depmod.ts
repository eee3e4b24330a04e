import { ModuleLinkage } from "../elf/module-elf";
import { moduleNameFromPath, normalizeAlias, uncompressedModulePath } from "../util/modname";
import { CycleError, findCycles } from "./cycles";
import { IndexAlias, IndexDevname, IndexModule, IndexSymbol, ModuleIndex } from "./types";
import { parseBuiltinList, parseBuiltinModinfo } from "./builtin";
import { kmodHashOrder } from "../util/kmod-hash";

/**
 * The depmod equivalent: a pure function from parsed modules and the kernel build's lists to the
 * index. It reproduces kmod's depmod (tools/depmod.c) rule by rule, so that the text files written
 * from it are byte-identical to depmod's.
 */
export interface DepmodModule extends ModuleLinkage {
  /** Path relative to the module directory, as found in the tree (walk order). */
  readonly path: string;
}

/**
 * What depmod keeps of a parsed module (pack keeps it for every module until the end, which is
 * why the module's reader interns symbol names: a name needed by thousands of modules is held once).
 */
export function depmodModule(path: string, linkage: ModuleLinkage): DepmodModule {
  return { path, exports: linkage.exports, needed: linkage.needed, aliases: linkage.aliases, softdeps: linkage.softdeps, weakdeps: linkage.weakdeps };
}

export interface DepmodInput {
  readonly kernelVersion: string;
  /** In the order the tree was walked. */
  readonly modules: readonly DepmodModule[];
  /** Contents of modules.order, modules.builtin and modules.builtin.modinfo, when present. */
  readonly modulesOrder?: string;
  readonly modulesBuiltin?: string;
  readonly modulesBuiltinModinfo?: Buffer;
}

/** The kernel build's lists (modules.order, modules.builtin, modules.builtin.modinfo) as depmod input. */
export function listsInput(lists: ReadonlyMap<string, Buffer>): Pick<DepmodInput, "modulesOrder" | "modulesBuiltin" | "modulesBuiltinModinfo"> {
  return {
    modulesOrder: lists.get("modules.order")?.toString("latin1"),
    modulesBuiltin: lists.get("modules.builtin")?.toString("latin1"),
    modulesBuiltinModinfo: lists.get("modules.builtin.modinfo"),
  };
}

/**
 * Duplicate module names, as depmod_module_is_higher_priority decides them with the default
 * search list ("updates"): a module under updates/ replaces one elsewhere, a later one under
 * updates/ replaces an earlier one there too, and otherwise the module found first stays.
 */
function dedupeByName(modules: readonly NamedModule[]): NamedModule[] {
  const chosen = new Map<string, NamedModule>();
  for (const named of modules) {
    const existing = chosen.get(named.name);
    if (!existing || named.module.path.startsWith("updates/")) chosen.set(named.name, named);
  }
  return [...chosen.values()];
}

/** A module with its name, worked out once (from its path: a slice, a search and a replace each time). */
interface NamedModule {
  readonly module: DepmodModule;
  readonly name: string;
}

/**
 * depmod's module order: kmod's hash order of the names (512 buckets), then the modules listed in
 * modules.order moved to the front in its order (a stable sort). A modules.order whose last line
 * lacks its newline is ignored entirely, as depmod does.
 */
function sortByModulesOrder(modules: readonly NamedModule[], modulesOrder: string | undefined): NamedModule[] {
  const hashed = kmodHashOrder(modules, (m) => m.name, 512);
  if (modulesOrder === undefined || (modulesOrder !== "" && !modulesOrder.endsWith("\n"))) return hashed;
  const position = new Map<string, number>();
  const lines = modulesOrder.split("\n");
  lines.pop();
  lines.forEach((line, i) => {
    // A path listed twice takes its last position, as depmod's second pass overwrites it.
    if (line !== "") position.set(line, i - lines.length - 1);
  });
  const keyed = hashed.map((named) => ({ named, key: position.get(uncompressedModulePath(named.module.path)) ?? 1 }));
  keyed.sort((a, b) => a.key - b.key);
  return keyed.map((k) => k.named);
}

/** sscanf("%u-%u") after a prefix: the two numbers, or undefined. */
function majorMinor(value: string, prefix: string): [number, number] | undefined {
  if (!value.startsWith(prefix)) return undefined;
  const match = /^\s*\+?(\d+)-\s*\+?(\d+)/.exec(value.slice(prefix.length));
  if (!match) return undefined;
  return [Number(match[1]) >>> 0, Number(match[2]) >>> 0];
}

function devnameOf(moduleIndex: number, aliases: readonly string[]): IndexDevname | undefined {
  // Without a devname: alias there is no entry: the numbers are looked for only in the few
  // modules that have one, not in every alias of the tree.
  let named = false;
  for (const alias of aliases) {
    if (alias.startsWith("devname:")) {
      named = true;
      break;
    }
  }
  if (!named) return undefined;
  let devname: string | undefined;
  let type: "c" | "b" | undefined;
  let major = 0;
  let minor = 0;
  for (const alias of aliases) {
    if (alias.startsWith("devname:")) {
      devname = alias.slice("devname:".length);
    } else {
      const char = majorMinor(alias, "char-major-");
      const block = char ? undefined : majorMinor(alias, "block-major-");
      if (char) [type, major, minor] = ["c", ...char];
      else if (block) [type, major, minor] = ["b", ...block];
    }
    if (type !== undefined && devname !== undefined) break;
  }
  if (devname === undefined || type === undefined) return undefined;
  return { module: moduleIndex, devname, type, major, minor };
}

/**
 * depmod_calculate_dependencies: Kahn's algorithm with the roots kept on a stack, modules without
 * users first; the resulting position orders every module's dependency list.
 */
function sortDependencies(names: readonly string[], directDeps: readonly number[][]): number[] {
  const count = names.length;
  const users = new Array<number>(count).fill(0);
  for (const deps of directDeps) for (const d of deps) users[d]++;
  const roots: number[] = [];
  for (let i = 0; i < count; i++) if (users[i] === 0) roots.push(i);
  const sortIndex = new Array<number>(count).fill(-1);
  let sorted = 0;
  while (roots.length > 0) {
    const source = roots.pop() as number;
    sortIndex[source] = sorted++;
    for (const d of directDeps[source]) {
      if (--users[d] === 0) roots.push(d);
    }
  }
  if (sorted < count) {
    const remaining: number[] = [];
    for (let i = 0; i < count; i++) if (users[i] > 0) remaining.push(i);
    throw new CycleError(findCycles(names, directDeps, remaining));
  }
  return sortIndex;
}

/**
 * Every module reachable through dependencies, ordered by the topological position. `seenBy`
 * (one slot per module, shared by all the calls) marks what this call has reached with `start`,
 * so that no set is made per module.
 */
function allDependencies(start: number, directDeps: readonly number[][], sortIndex: readonly number[], seenBy: Int32Array): number[] {
  const found: number[] = [];
  const stack = directDeps[start].slice();
  while (stack.length > 0) {
    const m = stack.pop() as number;
    if (seenBy[m] === start) continue;
    seenBy[m] = start;
    found.push(m);
    for (const d of directDeps[m]) stack.push(d);
  }
  return found.sort((a, b) => sortIndex[a] - sortIndex[b]);
}

export function computeIndex(input: DepmodInput): ModuleIndex {
  const named = sortByModulesOrder(dedupeByName(input.modules.map((module) => ({ module, name: moduleNameFromPath(module.path) }))), input.modulesOrder);
  const ordered = named.map((m) => m.module);
  const names = named.map((m) => m.name);

  // Symbol owners: modules in order, a later exporter replacing an earlier one (depmod's hash_add).
  const owners = new Map<string, number>();
  ordered.forEach((module, index) => {
    for (const name of module.exports) owners.set(name, index);
  });

  // A tree's modules need some 400,000 symbols: the test for a '.' and for an owner already
  // listed are kept to a byte and an array element each.
  const listedBy = new Int32Array(ordered.length).fill(-1);
  const directDeps: number[][] = ordered.map((module, index) => {
    const deps: number[] = [];
    for (const needed of module.needed) {
      const owner = owners.get(needed.charCodeAt(0) === 0x2e ? needed.slice(1) : needed);
      if (owner !== undefined && listedBy[owner] !== index) {
        listedBy[owner] = index;
        deps.push(owner);
      }
    }
    return deps;
  });
  const sortIndex = sortDependencies(names, directDeps);

  const aliases: IndexAlias[] = [];
  const devnames: IndexDevname[] = [];
  const seenBy = new Int32Array(ordered.length).fill(-1);
  const modules: IndexModule[] = ordered.map((module, index) => {
    const moduleAliases = module.aliases;
    for (const pattern of moduleAliases) {
      aliases.push({ pattern, key: normalizeAlias(pattern), module: index, target: names[index] });
    }
    const devname = devnameOf(index, moduleAliases);
    if (devname) devnames.push(devname);
    return {
      name: names[index],
      path: module.path,
      deps: allDependencies(index, directDeps, sortIndex, seenBy),
      softdeps: module.softdeps,
      weakdeps: module.weakdeps,
    };
  });

  // Byte order: names are latin1 strings, whose UTF-16 code units (the default sort's order) order
  // as their bytes do.
  const symbols: IndexSymbol[] = [...owners.keys()].sort().map((name) => ({ name, module: owners.get(name) as number }));

  return {
    kernelVersion: input.kernelVersion,
    modules,
    aliases,
    symbols,
    builtin: parseBuiltinList(input.modulesBuiltin),
    builtinAliases: parseBuiltinModinfo(input.modulesBuiltinModinfo).aliases,
    devnames,
  };
}
