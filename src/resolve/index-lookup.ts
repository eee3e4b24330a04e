import { BundleIndex } from "../bundle/index-codec";
import { CompiledPattern, compilePattern, matchCompiled } from "../util/fnmatch";
import { AliasMatch, kmodAliasOrder } from "./alias-order";
import { AliasPrefilter } from "./alias-prefilter";

/**
 * The lookups kmod makes in its index files, whatever holds them: a bundle's index (or the text
 * files of a module directory read into one), or kmod's own .bin files read along each key.
 * Modules are numbered by the implementation; a number is only valid with the lookup that gave it.
 */
export interface IndexLookup {
  /** The module number of a normalised name (modules.dep), or -1. */
  findModule(name: string): number;
  moduleName(module: number): string;
  /** The path as modules.dep has it, relative to the module directory. */
  modulePath(module: number): string;
  /** Dependencies as modules.dep lists them (users before providers). */
  moduleDeps(module: number): number[];
  /** modules.builtin: is this normalised name a builtin module? */
  isBuiltin(name: string): boolean;
  /** Module names whose alias patterns match `query` (builtin: modules.builtin.alias), in kmod's order. */
  matchAliases(builtin: boolean, query: string): string[];
  /** The owners of "symbol:NAME" (modules.symbols). */
  matchSymbol(query: string): string[];
  /** modprobe -c's dump: every (key, value) of the alias index, then of the symbol index, in key order. */
  forEachIndexAlias(visit: (key: string, value: string) => void): void;
  close(): void;
}

/** Groups of aliases larger than this are matched through an AliasPrefilter. */
const PREFILTER_THRESHOLD = 48;

export class BundleIndexLookup implements IndexLookup {
  constructor(readonly index: BundleIndex) {}

  findModule(name: string): number {
    return this.index.findModule(name);
  }

  moduleName(module: number): string {
    return this.index.moduleName(module);
  }

  modulePath(module: number): string {
    return this.index.modulePath(module);
  }

  moduleDeps(module: number): number[] {
    return this.index.moduleDeps(module);
  }

  isBuiltin(name: string): boolean {
    return this.index.isBuiltin(name);
  }

  matchSymbol(query: string): string[] {
    if (!query.startsWith("symbol:")) return [];
    const owner = this.index.findSymbol(query.slice("symbol:".length));
    return owner < 0 ? [] : [this.index.moduleName(owner)];
  }

  forEachIndexAlias(visit: (key: string, value: string) => void): void {
    const index = this.index;
    const order = (a: [string, number, string], b: [string, number, string]): number => {
      const c = Buffer.compare(Buffer.from(a[0], "latin1"), Buffer.from(b[0], "latin1"));
      return c || a[1] - b[1];
    };
    const aliases: Array<[string, number, string]> = [];
    for (let i = 0; i < index.aliasCount(false); i++) {
      const alias = index.alias(false, i);
      if (alias.key !== undefined) aliases.push([alias.key, alias.module, alias.target]);
    }
    for (const [key, , target] of aliases.sort(order)) visit(key, target);
    const symbols: Array<[string, number, string]> = index.toModuleIndex().symbols.map((s) => [`symbol:${s.name}`, s.module, index.moduleName(s.module)]);
    for (const [key, , target] of symbols.sort(order)) visit(key, target);
  }

  close(): void {}

  private readonly compiled: [Array<CompiledPattern | undefined>, Array<CompiledPattern | undefined>] = [[], []];
  private readonly prefilters: [Map<number, AliasPrefilter>, Map<number, AliasPrefilter>] = [new Map(), new Map()];

  private pattern(builtin: boolean, alias: number): CompiledPattern {
    const cache = this.compiled[builtin ? 1 : 0];
    let pattern = cache[alias];
    if (pattern === undefined) cache[alias] = pattern = compilePattern(this.index.aliasKey(builtin, alias));
    return pattern;
  }

  /** The state of the match in progress (kept on the object: no closures per query). */
  private matching: { builtin: boolean; query: string; matches: AliasMatch[] } = { builtin: false, query: "", matches: [] };
  private readonly checkAlias = (alias: number): void => {
    const { builtin, query, matches } = this.matching;
    const pattern = this.pattern(builtin, alias);
    if (!matchCompiled(pattern, query)) return;
    const { target, priority } = this.index.aliasTarget(builtin, alias);
    matches.push({ key: pattern.pattern, target, priority, alias });
  };
  private readonly visitGroup = (group: number, count: number): void => {
    const { builtin, query } = this.matching;
    if (count <= PREFILTER_THRESHOLD) {
      for (let k = 0; k < count; k++) this.checkAlias(this.index.groupAlias(builtin, group, k));
      return;
    }
    const filters = this.prefilters[builtin ? 1 : 0];
    let filter = filters.get(group);
    if (!filter) {
      const members = Array.from({ length: count }, (_, k) => {
        const alias = this.index.groupAlias(builtin, group, k);
        return { alias, pattern: this.pattern(builtin, alias) };
      });
      filters.set(group, (filter = new AliasPrefilter(members)));
    }
    filter.candidates(query, this.checkAlias);
  };

  matchAliases(builtin: boolean, query: string): string[] {
    const matches: AliasMatch[] = [];
    this.matching = { builtin, query, matches };
    this.index.forEachAliasGroup(builtin, query, this.visitGroup);
    if (matches.length === 0) return [];
    if (matches.length === 1) return [matches[0].target];
    return kmodAliasOrder(matches).map((m) => m.target);
  }
}
