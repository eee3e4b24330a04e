import { ModbundleError } from "../errors";
import { CompressionKind, compressionCode, compressionFromCode } from "../compress/kind";
import { IndexModule } from "../index/types";
import { ModulesWithLists, scanModules } from "./index-scan";
import { IndexSections, Section, StringReferences } from "./index-sections";
import { StringPool, byteCompare, words } from "./index-strings";

/**
 * The stored files and the modules, in five sections (strings in CORE_STRINGS):
 *
 *   MEMBERS          per stored file: path, data offset (lo, hi), size, compression, CRC-32,
 *                    decompressed size (32 bytes)
 *   MODULES          per module in depmod order: name, member, deps (start, count in U32S),
 *                    softdeps and weakdeps (start, count in STRING_LISTS)                (36 bytes)
 *   MODULES_BY_NAME  module numbers sorted by name bytes (binary search)
 *   U32S             dependency lists
 *   STRING_LISTS     string refs of softdep/weakdep values
 */
export const MEMBER_WORDS = 8;
export const MODULE_WORDS = 9;

export interface MemberRecord {
  readonly path: string;
  readonly offset: number;
  readonly size: number;
  readonly compression: CompressionKind;
  /** CRC-32 (zlib's) of the stored bytes. */
  readonly crc32: number;
  /**
   * The size once decompressed, which bounds the loader's decoder; the stored size when absent
   * (an uncompressed member).
   */
  readonly plainSize?: number;
}

export interface MemberInfo extends MemberRecord {
  readonly index: number;
  readonly plainSize: number;
}

export function encodeMembers(members: readonly MemberRecord[], pool: StringPool): Buffer {
  const memberBuf = Buffer.alloc(members.length * MEMBER_WORDS * 4);
  members.forEach((m, i) => {
    const at = i * MEMBER_WORDS * 4;
    const [pathOff, pathLen] = pool.ref(m.path);
    memberBuf.writeUInt32LE(pathOff, at);
    memberBuf.writeUInt32LE(pathLen, at + 4);
    memberBuf.writeUInt32LE(m.offset % 0x100000000, at + 8);
    memberBuf.writeUInt32LE(Math.floor(m.offset / 0x100000000), at + 12);
    memberBuf.writeUInt32LE(m.size, at + 16);
    memberBuf.writeUInt32LE(compressionCode(m.compression), at + 20);
    memberBuf.writeUInt32LE(m.crc32, at + 24);
    memberBuf.writeUInt32LE(m.plainSize ?? m.size, at + 28);
  });
  return memberBuf;
}

/** MODULES, MODULES_BY_NAME, U32S and STRING_LISTS, in that order. */
export function encodeModules(modules: readonly IndexModule[], members: readonly MemberRecord[], pool: StringPool): Array<[Section, Buffer]> {
  const memberByPath = new Map(members.map((m, i) => [m.path, i]));
  const u32s: number[] = [];
  const stringLists: number[] = [];
  const moduleWords: number[] = [];
  for (const module of modules) {
    const member = memberByPath.get(module.path);
    if (member === undefined) throw new ModbundleError("EBUNDLE", `index: module ${module.name} has no stored member ${module.path}`);
    const depsStart = u32s.length;
    u32s.push(...module.deps);
    const softStart = stringLists.length / 2;
    for (const value of module.softdeps) stringLists.push(...pool.ref(value));
    const weakStart = stringLists.length / 2;
    for (const value of module.weakdeps) stringLists.push(...pool.ref(value));
    moduleWords.push(...pool.ref(module.name), member, depsStart, module.deps.length,
      softStart, module.softdeps.length, weakStart, module.weakdeps.length);
  }
  const byName = modules.map((_, i) => i).sort((a, b) => byteCompare(modules[a].name, modules[b].name));
  return [
    [Section.Modules, words(moduleWords)],
    [Section.ModulesByName, words(byName)],
    [Section.U32s, words(u32s)],
    [Section.StringLists, words(stringLists)],
  ];
}

export const MODULE_RECORD_WORDS: Partial<Record<Section, number>> = {
  [Section.Modules]: MODULE_WORDS,
  [Section.ModulesByName]: 1,
  [Section.U32s]: 1,
  [Section.StringLists]: 2,
};

export const MODULE_STRING_REFERENCES: Partial<Record<Section, StringReferences>> = {
  [Section.Members]: { pool: Section.CoreStrings, recordWords: MEMBER_WORDS, lengthWords: [1] },
  [Section.Modules]: { pool: Section.CoreStrings, recordWords: MODULE_WORDS, lengthWords: [1] },
  [Section.StringLists]: { pool: Section.CoreStrings, recordWords: 2, lengthWords: [1] },
};

/** Reads members and modules; every reference is checked when it is read. */
export class ModuleTables {
  constructor(private readonly s: IndexSections) {}

  private get coreStrings(): Buffer {
    return this.s.section(Section.CoreStrings);
  }

  private get members(): Buffer {
    const data = this.s.section(Section.Members);
    if (data.length % (MEMBER_WORDS * 4) !== 0) throw this.s.corrupt("section Members has a partial record");
    return data;
  }

  get memberCount(): number {
    return this.members.length / (MEMBER_WORDS * 4);
  }

  private checkedModules?: Uint32Array;
  /** For moduleDeps: the last list (its number in listsRead) that named each module. */
  private listedIn?: Uint32Array;
  private listsRead = 0;
  /** The modules with softdep values, and with weakdep values, found by checkListsTile. */
  private modulesWithLists?: ModulesWithLists;

  /** MODULES, its lists' layout checked the first time (see checkListsTile). */
  private get modules(): Uint32Array {
    if (!this.checkedModules) {
      const modules = this.s.table(Section.Modules);
      this.modulesWithLists = this.checkListsTile(modules);
      this.checkedModules = modules;
    }
    return this.checkedModules;
  }

  /**
   * The lists of the modules must lie back to back, in module order, as pack writes them: module
   * i's dependency list starts where module i-1's ends (the first at 0), and its softdeps start
   * where module i-1's weakdeps end, its weakdeps where its softdeps end. So no two records share
   * or overlap a list, and the work of reading every module's lists is bounded by the size of
   * U32S and STRING_LISTS (each list is range-checked when read), whatever the counts claim. And
   * no two modules name the same member (one module is one file), so that reading every module's
   * path reads each member's once (a member number beyond MEMBERS is refused when it is read). One pass over MODULES, which every lookup reads anyway; it runs
   * in the interpreter at start-up, so it is kept lean, and it also notes the few modules that
   * have softdep or weakdep values (what modprobe's configuration needs from every module) so
   * nothing walks MODULES again.
   */
  private checkListsTile(modules: Uint32Array): ModulesWithLists {
    // Sized from the section table: MEMBERS itself is read only by what needs a member (a path).
    const memberSlots = Math.floor(this.s.length(Section.Members) / (MEMBER_WORDS * 4));
    // The same rules at native speed (bundle/index-scan.ts); this loop names a record that breaks one.
    const scanned = scanModules(modules, MODULE_WORDS, memberSlots);
    if (scanned !== undefined) return scanned;
    const softdep: number[] = [];
    const weakdep: number[] = [];
    let deps = 0;
    let strings = 0;
    const named = new Uint8Array(memberSlots);
    for (let w = 0; w < modules.length; w += MODULE_WORDS) {
      const member = modules[w + 2];
      if (member < named.length && named[member]++ !== 0) throw this.s.corrupt(`module ${w / MODULE_WORDS} names member ${member}, as an earlier module does`);
      const softCount = modules[w + 6];
      const weakStart = modules[w + 7];
      const weakCount = modules[w + 8];
      if (modules[w + 3] !== deps || modules[w + 5] !== strings || weakStart !== strings + softCount) this.listsDoNotTile(modules, w / MODULE_WORDS, deps, strings);
      deps += modules[w + 4];
      strings = weakStart + weakCount;
      if (softCount !== 0) softdep.push(w / MODULE_WORDS);
      if (weakCount !== 0) weakdep.push(w / MODULE_WORDS);
    }
    return { softdep, weakdep };
  }

  private listsDoNotTile(modules: Uint32Array, i: number, deps: number, strings: number): never {
    const w = i * MODULE_WORDS;
    if (modules[w + 3] !== deps) throw this.s.corrupt(`module ${i} dependency list starts at ${modules[w + 3]}, not at ${deps} where the previous one ends`);
    if (modules[w + 5] !== strings) throw this.s.corrupt(`module ${i} softdep list starts at ${modules[w + 5]}, not at ${strings} where the previous list ends`);
    throw this.s.corrupt(`module ${i} weakdep list starts at ${modules[w + 7]}, not at ${strings + modules[w + 6]} where its softdep list ends`);
  }

  get moduleCount(): number {
    return this.modules.length / MODULE_WORDS;
  }

  member(i: number): MemberInfo {
    this.s.below(i, this.memberCount, "member");
    const at = i * MEMBER_WORDS * 4;
    const m = this.members;
    const code = m.readUInt32LE(at + 20);
    const compression = compressionFromCode(code);
    if (compression === undefined) throw this.s.corrupt(`member ${i} has unknown compression ${code}`);
    const size = m.readUInt32LE(at + 16);
    const plainSize = m.readUInt32LE(at + 28);
    if (compression === "none" && plainSize !== size) throw this.s.corrupt(`member ${i} is stored uncompressed in ${size} bytes but records ${plainSize} decompressed`);
    return {
      index: i,
      path: this.s.string(this.coreStrings, m.readUInt32LE(at), m.readUInt32LE(at + 4)),
      offset: this.s.below(m.readUInt32LE(at + 12), 0x200000, `member ${i} offset high word`) * 0x100000000 + m.readUInt32LE(at + 8),
      size,
      compression,
      crc32: m.readUInt32LE(at + 24),
      plainSize,
    };
  }

  findMember(path: string): MemberInfo | undefined {
    const m = this.members;
    for (let i = 0; i < this.memberCount; i++) {
      const at = i * MEMBER_WORDS * 4;
      if (this.s.string(this.coreStrings, m.readUInt32LE(at), m.readUInt32LE(at + 4)) === path) return this.member(i);
    }
    return undefined;
  }

  moduleName(i: number): string {
    this.s.below(i, this.moduleCount, "module");
    const modules = this.modules;
    return this.s.string(this.coreStrings, modules[i * MODULE_WORDS], modules[i * MODULE_WORDS + 1]);
  }

  moduleMember(i: number): MemberInfo {
    this.s.below(i, this.moduleCount, "module");
    return this.member(this.s.below(this.modules[i * MODULE_WORDS + 2], this.memberCount, `module ${i} member`));
  }

  /** modules.dep order: users before providers (the last is loaded first). */
  moduleDeps(i: number): number[] {
    this.s.below(i, this.moduleCount, "module");
    const w = i * MODULE_WORDS;
    const modules = this.modules;
    const u32s = this.s.table(Section.U32s);
    this.s.span(modules[w + 3], modules[w + 4], u32s.length, `module ${i} dependency list`);
    const deps = Array.from(u32s.subarray(modules[w + 3], modules[w + 3] + modules[w + 4]));
    // A list names each module once, as depmod's does: a list of thousands of repeats would
    // multiply the steps of every plan that reaches the module.
    const seen = (this.listedIn ??= new Uint32Array(this.moduleCount));
    const mark = ++this.listsRead;
    for (const d of deps) {
      this.s.below(d, this.moduleCount, "dependency");
      if (seen[d] === mark) throw this.s.corrupt(`module ${i} dependency list names module ${d} twice`);
      seen[d] = mark;
    }
    return deps;
  }

  private stringList(start: number, count: number): string[] {
    const lists = this.s.table(Section.StringLists);
    this.s.span(start, count, lists.length / 2, "softdep/weakdep list");
    const out: string[] = [];
    for (let k = start; k < start + count; k++) out.push(this.s.string(this.coreStrings, lists[k * 2], lists[k * 2 + 1]));
    return out;
  }

  moduleSoftdeps(i: number): string[] {
    this.s.below(i, this.moduleCount, "module");
    const w = i * MODULE_WORDS;
    return this.stringList(this.modules[w + 5], this.modules[w + 6]);
  }

  moduleWeakdeps(i: number): string[] {
    this.s.below(i, this.moduleCount, "module");
    const w = i * MODULE_WORDS;
    return this.stringList(this.modules[w + 7], this.modules[w + 8]);
  }

  /** Every module's softdep= (or weakdep=) values, visiting only the modules that have some. */
  forEachModuleDep(kind: "softdep" | "weakdep", visit: (module: string, value: string) => void): void {
    const at = kind === "softdep" ? 5 : 7;
    const modules = this.modules;
    for (const i of this.modulesWithLists?.[kind] ?? []) {
      const w = i * MODULE_WORDS;
      const name = this.moduleName(i);
      for (const value of this.stringList(modules[w + at], modules[w + at + 1])) visit(name, value);
    }
  }

  /** The module with this (normalised) name, or -1. */
  findModule(name: string): number {
    const byName = this.s.table(Section.ModulesByName);
    const count = Math.min(byName.length, this.moduleCount);
    const found = this.s.search(name, count, this.coreStrings, (i) => this.s.below(byName[i], this.moduleCount, "module number") * MODULE_WORDS, this.modules);
    return found < 0 ? -1 : byName[found];
  }

  /** Checks every member and module record, and the name table (verify). */
  validate(): void {
    for (let i = 0; i < this.memberCount; i++) this.member(i);
    for (let i = 0; i < this.moduleCount; i++) {
      this.moduleName(i);
      this.moduleMember(i);
      this.moduleDeps(i);
      this.moduleSoftdeps(i);
      this.moduleWeakdeps(i);
    }
    const byName = this.s.table(Section.ModulesByName);
    if (byName.length !== this.moduleCount) throw this.s.corrupt("name table and module table differ in size");
    for (const m of byName) this.s.below(m, this.moduleCount, "module number");
  }
}
