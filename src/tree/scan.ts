import fs = require("node:fs");
import path = require("node:path");
import { ModbundleError, describeSystemError } from "../errors";

/**
 * What a module directory holds that a bundle carries: every module object (.ko, .ko.xz, .ko.zst,
 * .ko.gz) and the kernel build's own lists. The walk is sorted by byte order so that the same tree
 * always gives the same bundle. Like depmod, it skips entries named "build" and "source" and
 * follows symbolic links to module files; the kernel's lists must be regular files.
 */
export const SUPPORT_FILES = ["modules.builtin", "modules.builtin.modinfo", "modules.order"] as const;

const PRINTABLE = /^[\x20-\x7e]*$/;

const MODULE_SUFFIXES = [".ko", ".ko.xz", ".ko.zst", ".ko.gz"];

export interface TreeEntry {
  /** Path relative to the module directory, '/'-separated. */
  readonly relpath: string;
  readonly absolute: string;
  readonly size: number;
  readonly mode: number;
  readonly mtime: number;
}

export interface ModuleTree {
  readonly root: string;
  readonly modules: readonly TreeEntry[];
  readonly supportFiles: readonly TreeEntry[];
}

export function isModulePath(name: string): boolean {
  return MODULE_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function entryOf(root: string, relpath: string, stat: fs.Stats): TreeEntry {
  return {
    relpath,
    absolute: path.join(root, relpath),
    size: stat.size,
    mode: stat.mode & 0o7777,
    mtime: Math.floor(stat.mtimeMs / 1000),
  };
}

/**
 * A module file as listModuleTree found it: `unchecked` when readdir could not tell it a regular
 * file (a symbolic link, mostly), which its reader then checks as scanModuleTree would have
 * (checkListedModule) before opening it.
 */
export interface ListedModule {
  readonly relpath: string;
  readonly absolute: string;
  readonly unchecked: boolean;
}

/** What a module file listed unchecked turned out to be: scanModuleTree lists only "module"s, and walks a "directory". */
export type ListedModuleKind = "module" | "directory" | "absent";

export function checkListedModule(absolute: string): ListedModuleKind {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(absolute, { throwIfNoEntry: false });
  } catch {
    return "absent"; // as scanModuleTree skips what it cannot stat
  }
  if (stat === undefined) return "absent";
  return stat.isDirectory() ? "directory" : stat.isFile() ? "module" : "absent";
}

export function scanModuleTree(root: string, options: { readonly followListLinks?: boolean } = {}): ModuleTree {
  const modules: TreeEntry[] = [];
  walkModuleTree(root, true, (relpath, stat) => modules.push(entryOf(root, relpath, stat as fs.Stats)));
  return { root, modules, supportFiles: supportFilesOf(root, options) };
}

/**
 * scanModuleTree's walk without a stat of each module file (`modbundle depmod`, which needs no
 * size, mode or time, and opens each file anyway): a file named as a module is listed as found,
 * and checked by its reader, in parallel with the others, where it is not a regular file by its
 * directory entry. Dangling links, links to anything but a regular file and links to a directory
 * (which scanModuleTree would walk, changing the list) come out of that check.
 */
export function listModuleTree(root: string, options: { readonly followListLinks?: boolean } = {}): { root: string; modules: ListedModule[]; supportFiles: TreeEntry[] } {
  const modules: ListedModule[] = [];
  // The root normalised once (as path.join leaves it before a name: "" for ".", "/" for "/"), and
  // each path joined to it as it is: path.join normalising each of a tree's thousands of paths
  // again cost a tenth of the walk (a relpath is names, never "." or "..").
  const base = path.join(root, "_").slice(0, -1);
  walkModuleTree(root, false, (relpath, _stat, regular) => modules.push({ relpath, absolute: base + relpath, unchecked: !regular }));
  return { root, modules, supportFiles: supportFilesOf(root, options) };
}

/**
 * The walk, in byte order, calling `found` for each module file: with its stat when `statModules`,
 * else with none where its name and directory entry are enough (`regular` says whether that entry
 * is a regular file's).
 */
function walkModuleTree(root: string, statModules: boolean, found: (relpath: string, stat: fs.Stats | undefined, regular: boolean) => void): void {
  let rootStat: fs.Stats;
  try {
    rootStat = fs.statSync(root);
  } catch (error) {
    throw new ModbundleError("ETREE", `${root}: ${describeSystemError(error)}`);
  }
  if (!rootStat.isDirectory()) throw new ModbundleError("ETREE", `${root}: Not a directory`);

  const walk = (relDir: string): void => {
    const dir = relDir === "" ? root : path.join(root, relDir);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      throw new ModbundleError("ETREE", `${dir}: ${describeSystemError(error)}`);
    }
    const directories = new Set<string>();
    const regular = new Set<string>();
    const names: string[] = [];
    for (const entry of entries) {
      names.push(entry.name);
      if (entry.isDirectory()) directories.add(entry.name);
      else if (entry.isFile()) regular.add(entry.name);
    }
    // Printable ASCII (all a real tree has) sorts by code unit as by byte, with no Buffer per comparison.
    if (names.every((name) => PRINTABLE.test(name))) names.sort();
    else names.sort(byteOrder);
    for (const name of names) {
      if (name === "build" || name === "source") continue;
      const relpath = relDir === "" ? name : `${relDir}/${name}`;
      if (!PRINTABLE.test(name)) {
        throw new ModbundleError("ETREE", `${path.join(root, relpath)}: path is not printable ASCII`);
      }
      // A directory's or a regular file's type comes with its name (as depmod takes it);
      // anything else, a link especially, is looked at.
      if (directories.has(name)) {
        walk(relpath);
        continue;
      }
      const isModule = isModulePath(name);
      if (regular.has(name) && !isModule) continue;
      if (isModule && !statModules) {
        found(relpath, undefined, regular.has(name));
        continue;
      }
      let stat: fs.Stats;
      try {
        stat = fs.statSync(path.join(root, relpath));
      } catch {
        continue; // a dangling link, as depmod skips it
      }
      if (stat.isDirectory()) walk(relpath);
      else if (stat.isFile() && isModule) found(relpath, stat, true);
    }
  };
  walk("");
}

function supportFilesOf(root: string, options: { readonly followListLinks?: boolean }): TreeEntry[] {
  const supportFiles: TreeEntry[] = [];
  for (const name of SUPPORT_FILES) {
    let stat: fs.Stats;
    try {
      stat = options.followListLinks ? fs.statSync(path.join(root, name)) : fs.lstatSync(path.join(root, name));
    } catch {
      continue; // absent lists are allowed: a tree may lack modules.builtin.modinfo, for instance
    }
    // depmod only parses these lists, but pack copies them into a world-readable bundle: a link
    // planted in a staging tree (to /etc/shadow, say) must not be followed (pack also opens them
    // with O_NOFOLLOW, so swapping one in later fails too). `modbundle depmod` only parses them,
    // as depmod does, and follows links (a mirror of symbolic links is a common tree).
    if (!stat.isFile()) {
      throw new ModbundleError("ETREE", `${path.join(root, name)}: not a regular file (${stat.isSymbolicLink() ? "a symbolic link" : "a special file"}); refusing to pack it`);
    }
    supportFiles.push(entryOf(root, name, stat));
  }
  return supportFiles;
}
