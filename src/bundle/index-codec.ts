import { IndexAlias, ModuleIndex } from "../index/types";
import { ALIAS_RECORD_WORDS, AliasTables, encodeAliases } from "./index-alias-families";
import { MODULE_RECORD_WORDS, MODULE_STRING_REFERENCES, MemberInfo, MemberRecord, ModuleTables, encodeMembers, encodeModules } from "./index-modules";
import { OTHER_RECORD_WORDS, OTHER_STRING_REFERENCES, OtherTables, encodeBuiltin, encodeDevnames, encodeMeta, encodeSymbols } from "./index-other-tables";
import { INDEX_DIRECTORY_MAX, IndexSections, IndexSource, Section, StringReferences, bufferIndexSource, encodeSections } from "./index-sections";
import { StringPool } from "./index-strings";

/**
 * The binary index stored in ".modbundle/index": its encoder and its one reader, put together from
 * one file per part of the format, each describing its part next to the code that reads it:
 *   index-sections.ts        head, section table, checked access (the overview of the layout)
 *   index-strings.ts         string pools
 *   index-modules.ts         members, modules, dependency and softdep/weakdep lists
 *   index-alias-families.ts  alias families and depmod order
 *   index-alias-table.ts     one packed alias table (records, groups, hash)
 *   index-other-tables.ts    kernel version, symbols, builtin modules, devnames
 *
 * The reader reads the head and section table when it opens the index and each section the first
 * time it is used; every reference is checked when it is read. validate() checks everything at
 * once (for verify).
 */
export { INDEX_DIRECTORY_MAX, INDEX_MAGIC, INDEX_VERSION, bufferIndexSource, indexDirectoryLength } from "./index-sections";
export type { IndexSource } from "./index-sections";
export type { MemberInfo, MemberRecord } from "./index-modules";
export { literalPrefixLength } from "./index-alias-table";

export interface IndexContent {
  readonly index: ModuleIndex;
  readonly members: readonly MemberRecord[];
}

export function encodeIndex(content: IndexContent): Buffer {
  const { index, members } = content;
  // The core pool's order (kernel version, member paths, modules, devnames) is part of the
  // reproducible output: keep the calls in this order.
  const pool = new StringPool();
  const builtinPool = new StringPool();
  const symbolPool = new StringPool();
  const meta = encodeMeta(index, pool);
  const memberSection = encodeMembers(members, pool);
  const moduleSections = encodeModules(index.modules, members, pool);
  const aliasSections = encodeAliases(index.aliases, index.builtinAliases);
  const symbols = encodeSymbols(index, symbolPool);
  const builtin = encodeBuiltin(index, builtinPool);
  const devnames = encodeDevnames(index, pool);
  return encodeSections([
    [Section.CoreStrings, pool.bytes()],
    [Section.Meta, meta],
    [Section.Members, memberSection],
    ...moduleSections,
    [Section.Symbols, symbols],
    [Section.Builtin, builtin],
    [Section.Devnames, devnames],
    [Section.BuiltinStrings, builtinPool.bytes()],
    [Section.SymbolStrings, symbolPool.bytes()],
    ...aliasSections,
  ]);
}

const RECORD_WORDS: Partial<Record<Section, number>> = { ...MODULE_RECORD_WORDS, ...ALIAS_RECORD_WORDS, ...OTHER_RECORD_WORDS };
const STRING_REFERENCES: Partial<Record<Section, StringReferences>> = { ...MODULE_STRING_REFERENCES, ...OTHER_STRING_REFERENCES };

/**
 * The sections any lookup by name reads, with the first two alias families (pack writes there
 * the families of short literal prefixes and of the others, which most lookups read).
 */
const LOOKUP_SECTIONS = [Section.CoreStrings, Section.Meta, Section.Members, Section.Modules, Section.ModulesByName, Section.U32s, Section.StringLists, Section.Builtin, Section.BuiltinStrings, Section.AliasFamilies];

export class BundleIndex {
  private readonly sections: IndexSections;
  private readonly modules: ModuleTables;
  private readonly aliases: AliasTables;
  private readonly others: OtherTables;

  constructor(
    source: IndexSource,
    /** The head and section table: the first min(INDEX_DIRECTORY_MAX, length) bytes. */
    directory: Buffer,
    where: string,
  ) {
    this.sections = new IndexSections(source, directory, where, RECORD_WORDS, STRING_REFERENCES);
    this.modules = new ModuleTables(this.sections);
    const moduleCount = (): number => this.modules.moduleCount;
    this.aliases = new AliasTables(this.sections, moduleCount);
    this.others = new OtherTables(this.sections, moduleCount);
  }

  /**
   * Announces the sections a lookup by name will read, so that a remote bundle fetches them in
   * one round instead of one request each; for a file this does nothing.
   */
  prefetchLookupSections(): void {
    const families = [Section.FirstAliasFamily, Section.FirstAliasFamily + 1].filter((id) => [...this.sections.ids()].includes(id));
    this.sections.prefetch([...LOOKUP_SECTIONS, ...families]);
  }

  /** Opens an index held whole in a buffer. */
  static fromBuffer(data: Buffer, where: string): BundleIndex {
    return new BundleIndex(bufferIndexSource(data), data.subarray(0, INDEX_DIRECTORY_MAX), where);
  }

  get kernelVersion(): string {
    return this.others.kernelVersion;
  }

  /**
   * Checks every reference in the index at once (verify does this). Lookups do not need it: each
   * accessor checks what it reads.
   */
  validate(): void {
    for (const id of this.sections.ids()) this.sections.section(id);
    this.modules.validate();
    this.aliases.validate();
    this.toModuleIndex();
  }

  // Members and modules

  get memberCount(): number {
    return this.modules.memberCount;
  }

  get moduleCount(): number {
    return this.modules.moduleCount;
  }

  member(i: number): MemberInfo {
    return this.modules.member(i);
  }

  findMember(path: string): MemberInfo | undefined {
    return this.modules.findMember(path);
  }

  moduleName(i: number): string {
    return this.modules.moduleName(i);
  }

  moduleMember(i: number): MemberInfo {
    return this.modules.moduleMember(i);
  }

  modulePath(i: number): string {
    return this.modules.moduleMember(i).path;
  }

  /** modules.dep order: users before providers (the last is loaded first). */
  moduleDeps(i: number): number[] {
    return this.modules.moduleDeps(i);
  }

  moduleSoftdeps(i: number): string[] {
    return this.modules.moduleSoftdeps(i);
  }

  moduleWeakdeps(i: number): string[] {
    return this.modules.moduleWeakdeps(i);
  }

  /** Every module's softdep= (or weakdep=) values, visiting only the modules that have some. */
  forEachModuleDep(kind: "softdep" | "weakdep", visit: (module: string, value: string) => void): void {
    this.modules.forEachModuleDep(kind, visit);
  }

  /** The module with this (normalised) name, or -1. */
  findModule(name: string): number {
    return this.modules.findModule(name);
  }

  // Symbols and builtin modules

  /** The module exporting this symbol, or -1. */
  findSymbol(name: string): number {
    return this.others.findSymbol(name);
  }

  isBuiltin(name: string): boolean {
    return this.others.isBuiltin(name);
  }

  // Aliases

  /**
   * Calls `visit` with every group of aliases whose keys' literal prefix (the text before the
   * first '*', '?' or '[') is a prefix of `query`: the only aliases that can match it. A group is
   * identified by its number and holds `count` aliases, read with groupAlias().
   */
  forEachAliasGroup(builtin: boolean, query: string, visit: (group: number, count: number) => void): void {
    this.aliases.forEachAliasGroup(builtin, query, visit);
  }

  /** The alias number of the `k`th member of a group (see forEachAliasGroup). */
  groupAlias(builtin: boolean, group: number, k: number): number {
    return this.aliases.groupAlias(builtin, group, k);
  }

  /** An alias's lookup key (its normalised pattern). */
  aliasKey(builtin: boolean, alias: number): string {
    return this.aliases.aliasKey(builtin, alias);
  }

  /** An alias's target module name and priority (its module number; 0 for builtin aliases). */
  aliasTarget(builtin: boolean, alias: number): { readonly target: string; readonly priority: number } {
    return this.aliases.aliasTarget(builtin, alias);
  }

  aliasCount(builtin: boolean): number {
    return this.aliases.aliasCount(builtin);
  }

  /** Alias number `alias` (numbers run through the families, not in depmod order). */
  alias(builtin: boolean, alias: number): IndexAlias {
    return this.aliases.alias(builtin, alias);
  }

  /** The whole index as data (for unpack, info and tests). */
  toModuleIndex(): ModuleIndex {
    const modules = [];
    for (let i = 0; i < this.moduleCount; i++) {
      modules.push({
        name: this.moduleName(i),
        path: this.modulePath(i),
        deps: this.moduleDeps(i),
        softdeps: this.moduleSoftdeps(i),
        weakdeps: this.moduleWeakdeps(i),
      });
    }
    const order = this.aliases.aliasOrder();
    const symbols = this.others.symbols();
    const builtin = this.others.builtin();
    const devnames = this.others.devnames();
    return {
      kernelVersion: this.kernelVersion,
      modules,
      aliases: this.aliases.aliasList(false, order),
      symbols,
      builtin,
      builtinAliases: this.aliases.aliasList(true, order),
      devnames,
    };
  }
}
