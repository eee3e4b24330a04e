import path = require("node:path");
import { FileSource } from "../io/byte-source";
import { KmodBinFile } from "../index/kmod-trie-format";
import { KmodTrieReader } from "../index/kmod-trie-reader";
import { moduleNameFromPath } from "../util/modname";
import { IndexLookup } from "./index-lookup";
import { bytesOf } from "../util/bytes";

/**
 * A plain module directory looked up through kmod's own .bin indexes, as kmod does: each file is
 * opened the first time a lookup needs it, and each lookup reads only the trie nodes along its
 * key (for aliases, what kmod's wildcard search visits). A missing or empty file finds nothing,
 * as for kmod; a damaged one is an error naming it. Modules are numbered as they are met: by a
 * modules.dep.bin lookup, or as the dependency of one (its path from that line, its own
 * dependencies looked up when asked for, as kmod does).
 */
interface KnownModule {
  readonly name: string;
  readonly path: string;
  deps: number[] | undefined;
}

export class KmodBinLookup implements IndexLookup {
  private readonly tries = new Map<KmodBinFile, KmodTrieReader | null>();
  private readonly modules: KnownModule[] = [];
  private readonly numbers = new Map<string, number>();

  constructor(private readonly dirname: string) {}

  /** A module directory uses its .bin indexes when it has modules.dep.bin. */
  static open(dirname: string): KmodBinLookup | undefined {
    const lookup = new KmodBinLookup(dirname);
    return lookup.trie("modules.dep.bin") ? lookup : undefined;
  }

  private trie(file: KmodBinFile): KmodTrieReader | undefined {
    let trie = this.tries.get(file);
    if (trie === undefined) {
      let source: FileSource | undefined;
      try {
        source = FileSource.open(bytesOf(path.join(this.dirname, file)));
      } catch {
        source = undefined;
      }
      try {
        trie = source && source.size > 0 ? KmodTrieReader.open(source) : null;
      } catch (error) {
        source?.close();
        throw error;
      }
      if (trie === null) source?.close();
      this.tries.set(file, trie);
    }
    return trie ?? undefined;
  }

  private register(name: string, modulePath: string, deps: number[] | undefined): number {
    const number = this.modules.length;
    this.modules.push({ name, path: modulePath, deps });
    this.numbers.set(name, number);
    return number;
  }

  /** The module's modules.dep line, or undefined. */
  private depLine(name: string): string | undefined {
    const line = this.trie("modules.dep.bin")?.search(name);
    return line !== undefined && line.indexOf(":") > 0 ? line : undefined;
  }

  /**
   * A module named twice in the line is kept once, where it first appears: depmod never writes
   * one twice, and thousands of repeats in a damaged file would multiply every plan's steps.
   */
  private depsOf(line: string): number[] {
    const deps = new Set<number>();
    for (const depPath of line.slice(line.indexOf(":") + 1).split(/[ \t]+/)) {
      if (depPath === "") continue;
      const name = moduleNameFromPath(depPath);
      const known = this.numbers.get(name);
      deps.add(known !== undefined && known >= 0 ? known : this.register(name, depPath, undefined));
    }
    return [...deps];
  }

  findModule(name: string): number {
    const known = this.numbers.get(name);
    if (known !== undefined) return known;
    const line = this.depLine(name);
    if (line === undefined) {
      this.numbers.set(name, -1);
      return -1;
    }
    const number = this.register(name, line.slice(0, line.indexOf(":")), undefined);
    this.modules[number].deps = this.depsOf(line);
    return number;
  }

  moduleName(module: number): string {
    return this.modules[module].name;
  }

  modulePath(module: number): string {
    return this.modules[module].path;
  }

  moduleDeps(module: number): number[] {
    const known = this.modules[module];
    if (known.deps === undefined) {
      const line = this.depLine(known.name);
      known.deps = line === undefined ? [] : this.depsOf(line);
    }
    return [...known.deps];
  }

  isBuiltin(name: string): boolean {
    return this.trie("modules.builtin.bin")?.search(name) !== undefined;
  }

  matchAliases(builtin: boolean, query: string): string[] {
    const trie = this.trie(builtin ? "modules.builtin.alias.bin" : "modules.alias.bin");
    return trie ? trie.searchWild(query).map((v) => v.value) : [];
  }

  matchSymbol(query: string): string[] {
    if (!query.startsWith("symbol:")) return [];
    const trie = this.trie("modules.symbols.bin");
    return trie ? trie.searchWild(query).map((v) => v.value) : [];
  }

  forEachIndexAlias(visit: (key: string, value: string) => void): void {
    this.trie("modules.alias.bin")?.forEach(visit);
    this.trie("modules.symbols.bin")?.forEach(visit);
  }

  close(): void {
    for (const trie of this.tries.values()) trie?.close();
    this.tries.clear();
  }
}
