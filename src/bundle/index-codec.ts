import { endianness } from "node:os";
import { ModbundleError } from "../errors";
import { CompressionKind, compressionCode, compressionFromCode } from "../compress/kind";
import { IndexAlias, ModuleIndex } from "../index/types";

/**
 * The binary index stored in ".modbundle/index", and its one reader.
 *
 * Layout (little-endian u32 throughout): a 16-byte head ("MBIX", version, section count, 0), a
 * section table of (id, offset, length) triples, then the sections, each 4-byte aligned. Strings
 * live once in STRINGS and are referenced as (offset, length) pairs of latin1 bytes.
 *
 *   STRINGS          string bytes
 *   META             kernel version (string ref)
 *   MEMBERS          per stored file: path, data offset (lo, hi), size, compression, SHA-256 (56 bytes)
 *   MODULES          per module in depmod order: name, member, deps (start, count in U32S),
 *                    softdeps and weakdeps (start, count in STRING_LISTS)                (36 bytes)
 *   MODULES_BY_NAME  module numbers sorted by name bytes (binary search)
 *   U32S             dependency lists
 *   STRING_LISTS     string refs of softdep/weakdep values
 *   ALIASES, BUILTIN_ALIASES: an alias table each (four sections):
 *     records        per alias in depmod order: pattern, lookup key (normalised; length
 *                    0xffffffff when invalid), target name, module number (0xffffffff for builtin)
 *     sorted         alias numbers grouped by the key's literal prefix (the text before the first
 *                    '*', '?' or '['), depmod order within a group
 *     groups         per distinct prefix: prefix string ref, first position in sorted, count
 *     hash           open-addressing table (power-of-two size) of group number + 1, keyed by
 *                    FNV-1a of the prefix; a lookup hashes every prefix of the query, extending
 *                    the hash one byte at a time, so it costs one probe per query byte
 *   SYMBOLS          (name, module) sorted by name bytes
 *   BUILTIN          builtin module names sorted by bytes
 *   DEVNAMES         module, devname, type ('c' or 'b'), major, minor
 *
 * The reader validates every reference once when it opens the index, so that lookups can index
 * the tables without further checks and a hostile index cannot send a read out of bounds.
 */
export const INDEX_MAGIC = "MBIX";
export const INDEX_VERSION = 1;

enum Section {
  Strings = 1,
  Meta,
  Members,
  Modules,
  ModulesByName,
  U32s,
  StringLists,
  Aliases,
  AliasesSorted,
  AliasGroups,
  AliasHash,
  BuiltinAliases,
  BuiltinAliasesSorted,
  BuiltinAliasGroups,
  BuiltinAliasHash,
  Symbols,
  Builtin,
  Devnames,
}

const MEMBER_WORDS = 14;
const MODULE_WORDS = 9;
const ALIAS_WORDS = 7;
const GROUP_WORDS = 4;
const DEVNAME_WORDS = 6;
const NONE = 0xffffffff;
const HOST_BIG_ENDIAN = endianness() === "BE";

export interface MemberRecord {
  readonly path: string;
  readonly offset: number;
  readonly size: number;
  readonly compression: CompressionKind;
  readonly sha256: Buffer;
}

export interface IndexContent {
  readonly index: ModuleIndex;
  readonly members: readonly MemberRecord[];
}

export function literalPrefixLength(key: string): number {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c === 0x2a || c === 0x3f || c === 0x5b) return i;
  }
  return key.length;
}

const FNV_OFFSET = 0x811c9dc5;
function fnvStep(hash: number, byte: number): number {
  return Math.imul(hash ^ byte, 0x01000193) >>> 0;
}
function fnv(bytes: Buffer, start: number, end: number): number {
  let hash = FNV_OFFSET;
  for (let i = start; i < end; i++) hash = fnvStep(hash, bytes[i]);
  return hash;
}

function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "latin1"), Buffer.from(b, "latin1"));
}

// ---------------------------------------------------------------------------------------------
// Encoder

class StringPool {
  private readonly offsets = new Map<string, number>();
  private readonly chunks: Buffer[] = [];
  private size = 0;

  ref(value: string): [number, number] {
    let offset = this.offsets.get(value);
    const length = Buffer.byteLength(value, "latin1");
    if (offset === undefined) {
      offset = this.size;
      this.offsets.set(value, offset);
      this.chunks.push(Buffer.from(value, "latin1"));
      this.size += length;
    }
    return [offset, length];
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function words(values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => out.writeUInt32LE(v >>> 0, i * 4));
  return out;
}

function encodeAliasTable(pool: StringPool, aliases: readonly IndexAlias[]): [Buffer, Buffer, Buffer, Buffer] {
  const records: number[] = [];
  for (const alias of aliases) {
    const key = alias.key === undefined ? [0, NONE] : pool.ref(alias.key);
    records.push(...pool.ref(alias.pattern), ...key, ...pool.ref(alias.target), alias.module < 0 ? NONE : alias.module);
  }
  const byPrefix = new Map<string, number[]>();
  aliases.forEach((alias, i) => {
    if (alias.key === undefined) return;
    const prefix = alias.key.slice(0, literalPrefixLength(alias.key));
    let list = byPrefix.get(prefix);
    if (!list) byPrefix.set(prefix, (list = []));
    list.push(i);
  });
  const prefixes = [...byPrefix.keys()].sort(byteCompare);
  const sorted: number[] = [];
  const groups: number[] = [];
  let tableSize = 1;
  while (tableSize < prefixes.length * 2) tableSize *= 2;
  const hash = new Array<number>(tableSize).fill(0);
  prefixes.forEach((prefix, g) => {
    const members = byPrefix.get(prefix) as number[];
    groups.push(...pool.ref(prefix), sorted.length, members.length);
    sorted.push(...members);
    const bytes = Buffer.from(prefix, "latin1");
    let slot = fnv(bytes, 0, bytes.length) & (tableSize - 1);
    while (hash[slot] !== 0) slot = (slot + 1) & (tableSize - 1);
    hash[slot] = g + 1;
  });
  return [words(records), words(sorted), words(groups), words(hash)];
}

export function encodeIndex(content: IndexContent): Buffer {
  const { index, members } = content;
  const pool = new StringPool();
  const memberByPath = new Map(members.map((m, i) => [m.path, i]));

  const meta = words([...pool.ref(index.kernelVersion)]);
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
    m.sha256.copy(memberBuf, at + 24);
  });

  const u32s: number[] = [];
  const stringLists: number[] = [];
  const moduleWords: number[] = [];
  for (const module of index.modules) {
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
  const byName = index.modules.map((_, i) => i).sort((a, b) => byteCompare(index.modules[a].name, index.modules[b].name));

  const aliasTable = encodeAliasTable(pool, index.aliases);
  const builtinAliasTable = encodeAliasTable(pool, index.builtinAliases);
  const symbols: number[] = [];
  for (const symbol of [...index.symbols].sort((a, b) => byteCompare(a.name, b.name))) symbols.push(...pool.ref(symbol.name), symbol.module);
  const builtin: number[] = [];
  for (const name of [...index.builtin].sort(byteCompare)) builtin.push(...pool.ref(name));
  const devnames: number[] = [];
  for (const d of index.devnames) devnames.push(d.module, ...pool.ref(d.devname), d.type.charCodeAt(0), d.major, d.minor);

  const sections: Array<[Section, Buffer]> = [
    [Section.Meta, meta],
    [Section.Members, memberBuf],
    [Section.Modules, words(moduleWords)],
    [Section.ModulesByName, words(byName)],
    [Section.U32s, words(u32s)],
    [Section.StringLists, words(stringLists)],
    [Section.Aliases, aliasTable[0]],
    [Section.AliasesSorted, aliasTable[1]],
    [Section.AliasGroups, aliasTable[2]],
    [Section.AliasHash, aliasTable[3]],
    [Section.BuiltinAliases, builtinAliasTable[0]],
    [Section.BuiltinAliasesSorted, builtinAliasTable[1]],
    [Section.BuiltinAliasGroups, builtinAliasTable[2]],
    [Section.BuiltinAliasHash, builtinAliasTable[3]],
    [Section.Symbols, words(symbols)],
    [Section.Builtin, words(builtin)],
    [Section.Devnames, words(devnames)],
  ];
  sections.unshift([Section.Strings, pool.bytes()]);

  const head = Buffer.alloc(16 + sections.length * 12);
  head.write(INDEX_MAGIC, 0, "latin1");
  head.writeUInt32LE(INDEX_VERSION, 4);
  head.writeUInt32LE(sections.length, 8);
  const chunks: Buffer[] = [head];
  let offset = head.length;
  sections.forEach(([id, data], i) => {
    head.writeUInt32LE(id, 16 + i * 12);
    head.writeUInt32LE(offset, 20 + i * 12);
    head.writeUInt32LE(data.length, 24 + i * 12);
    const padded = data.length + ((4 - (data.length % 4)) % 4);
    chunks.push(data, Buffer.alloc(padded - data.length));
    offset += padded;
  });
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------------------------------------
// Reader

export interface MemberInfo extends MemberRecord {
  readonly index: number;
}

interface AliasTable {
  readonly records: Uint32Array;
  readonly sorted: Uint32Array;
  readonly groups: Uint32Array;
  readonly hash: Uint32Array;
}

export class BundleIndex {
  readonly kernelVersion: string;
  readonly moduleCount: number;
  readonly memberCount: number;
  private readonly strings: Buffer;
  private readonly members: Buffer;
  private readonly modules: Uint32Array;
  private readonly modulesByName: Uint32Array;
  private readonly u32s: Uint32Array;
  private readonly stringLists: Uint32Array;
  private readonly aliases: AliasTable;
  private readonly builtinAliases: AliasTable;
  private readonly symbols: Uint32Array;
  private readonly builtin: Uint32Array;
  private readonly devnames: Uint32Array;

  constructor(
    data: Buffer,
    private readonly where: string,
  ) {
    if (data.length < 16 || data.toString("latin1", 0, 4) !== INDEX_MAGIC) throw this.corrupt("bad index magic");
    const version = data.readUInt32LE(4);
    if (version !== INDEX_VERSION) throw this.corrupt(`unsupported index version ${version}`);
    const count = data.readUInt32LE(8);
    if (count > 64 || 16 + count * 12 > data.length) throw this.corrupt(`section table of ${count} entries does not fit`);
    // Copy to an aligned buffer so that the u32 tables can be viewed in place.
    const aligned = Buffer.alloc(data.length);
    data.copy(aligned);
    const found = new Map<number, Buffer>();
    for (let i = 0; i < count; i++) {
      const id = aligned.readUInt32LE(16 + i * 12);
      const offset = aligned.readUInt32LE(20 + i * 12);
      const length = aligned.readUInt32LE(24 + i * 12);
      if (offset % 4 !== 0 || offset > aligned.length || length > aligned.length - offset) {
        throw this.corrupt(`section ${id} at ${offset}+${length} lies outside the index (${aligned.length} bytes)`);
      }
      const section = aligned.subarray(offset, offset + length);
      // The u32 tables are viewed in host order; the file is little-endian.
      if (HOST_BIG_ENDIAN && id !== Section.Strings && id !== Section.Members && length % 4 === 0) section.swap32();
      found.set(id, section);
    }
    const bytes = (id: Section): Buffer => {
      const section = found.get(id);
      if (!section) throw this.corrupt(`section ${Section[id]} is missing`);
      return section;
    };
    const table = (id: Section, recordWords: number): Uint32Array => {
      const section = bytes(id);
      if (section.length % (recordWords * 4) !== 0) throw this.corrupt(`section ${Section[id]} has a partial record`);
      return new Uint32Array(section.buffer, section.byteOffset, section.length / 4);
    };
    this.strings = bytes(Section.Strings);
    const meta = table(Section.Meta, 2);
    this.members = bytes(Section.Members);
    if (this.members.length % (MEMBER_WORDS * 4) !== 0) throw this.corrupt("section Members has a partial record");
    this.memberCount = this.members.length / (MEMBER_WORDS * 4);
    this.modules = table(Section.Modules, MODULE_WORDS);
    this.moduleCount = this.modules.length / MODULE_WORDS;
    this.modulesByName = table(Section.ModulesByName, 1);
    this.u32s = table(Section.U32s, 1);
    this.stringLists = table(Section.StringLists, 2);
    this.aliases = {
      records: table(Section.Aliases, ALIAS_WORDS),
      sorted: table(Section.AliasesSorted, 1),
      groups: table(Section.AliasGroups, GROUP_WORDS),
      hash: table(Section.AliasHash, 1),
    };
    this.builtinAliases = {
      records: table(Section.BuiltinAliases, ALIAS_WORDS),
      sorted: table(Section.BuiltinAliasesSorted, 1),
      groups: table(Section.BuiltinAliasGroups, GROUP_WORDS),
      hash: table(Section.BuiltinAliasHash, 1),
    };
    this.symbols = table(Section.Symbols, 3);
    this.builtin = table(Section.Builtin, 2);
    this.devnames = table(Section.Devnames, DEVNAME_WORDS);
    if (meta.length !== 2) throw this.corrupt("section Meta has the wrong size");
    this.validate(meta);
    this.kernelVersion = this.string(meta[0], meta[1]);
  }

  private corrupt(reason: string): ModbundleError {
    return new ModbundleError("EBUNDLE", `${this.where}: corrupt index: ${reason}`);
  }

  private validate(meta: Uint32Array): void {
    const strLimit = this.strings.length;
    const checkString = (off: number, len: number, what: string): void => {
      if (off > strLimit || len > strLimit - off) throw this.corrupt(`${what} string ${off}+${len} lies outside the string table`);
    };
    const checkBelow = (value: number, limit: number, what: string): void => {
      if (value >= limit) throw this.corrupt(`${what} ${value} is out of range (< ${limit})`);
    };
    const checkSpan = (start: number, count: number, limit: number, what: string): void => {
      if (start > limit || count > limit - start) throw this.corrupt(`${what} ${start}+${count} is out of range (${limit})`);
    };
    checkString(meta[0], meta[1], "kernel version");
    const m = this.members;
    for (let i = 0; i < this.memberCount; i++) {
      const at = i * MEMBER_WORDS * 4;
      checkString(m.readUInt32LE(at), m.readUInt32LE(at + 4), `member ${i} path`);
      if (m.readUInt32LE(at + 12) > 0x1fffff) throw this.corrupt(`member ${i} offset is out of range`);
      if (compressionFromCode(m.readUInt32LE(at + 20)) === undefined) throw this.corrupt(`member ${i} has unknown compression ${m.readUInt32LE(at + 20)}`);
    }
    const mods = this.modules;
    for (let i = 0; i < this.moduleCount; i++) {
      const w = i * MODULE_WORDS;
      checkString(mods[w], mods[w + 1], `module ${i} name`);
      checkBelow(mods[w + 2], this.memberCount, `module ${i} member`);
      checkSpan(mods[w + 3], mods[w + 4], this.u32s.length, `module ${i} dependency list`);
      checkSpan(mods[w + 5], mods[w + 6], this.stringLists.length / 2, `module ${i} softdep list`);
      checkSpan(mods[w + 7], mods[w + 8], this.stringLists.length / 2, `module ${i} weakdep list`);
    }
    if (this.modulesByName.length !== this.moduleCount) throw this.corrupt("name table and module table differ in size");
    for (const v of this.modulesByName) checkBelow(v, this.moduleCount, "module number");
    for (const v of this.u32s) checkBelow(v, this.moduleCount, "dependency");
    for (let i = 0; i < this.stringLists.length; i += 2) checkString(this.stringLists[i], this.stringLists[i + 1], "softdep/weakdep");
    for (const t of [this.aliases, this.builtinAliases]) {
      const aliasCount = t.records.length / ALIAS_WORDS;
      for (let i = 0; i < aliasCount; i++) {
        const w = i * ALIAS_WORDS;
        checkString(t.records[w], t.records[w + 1], "alias pattern");
        if (t.records[w + 3] !== NONE) checkString(t.records[w + 2], t.records[w + 3], "alias key");
        checkString(t.records[w + 4], t.records[w + 5], "alias target");
        if (t.records[w + 6] !== NONE) checkBelow(t.records[w + 6], this.moduleCount, "alias module");
      }
      for (const v of t.sorted) checkBelow(v, aliasCount, "alias number");
      const groupCount = t.groups.length / GROUP_WORDS;
      for (let g = 0; g < groupCount; g++) {
        const w = g * GROUP_WORDS;
        checkString(t.groups[w], t.groups[w + 1], "alias prefix");
        checkSpan(t.groups[w + 2], t.groups[w + 3], t.sorted.length, "alias group");
      }
      if (t.hash.length === 0 || (t.hash.length & (t.hash.length - 1)) !== 0 || t.hash.length < groupCount) {
        throw this.corrupt("alias hash table size is not a power of two above the group count");
      }
      for (const v of t.hash) if (v !== 0) checkBelow(v - 1, groupCount, "alias group number");
    }
    for (let i = 0; i < this.symbols.length; i += 3) {
      checkString(this.symbols[i], this.symbols[i + 1], "symbol");
      checkBelow(this.symbols[i + 2], this.moduleCount, "symbol owner");
    }
    for (let i = 0; i < this.builtin.length; i += 2) checkString(this.builtin[i], this.builtin[i + 1], "builtin name");
    for (let i = 0; i < this.devnames.length; i += DEVNAME_WORDS) {
      checkBelow(this.devnames[i], this.moduleCount, "devname module");
      checkString(this.devnames[i + 1], this.devnames[i + 2], "devname");
      const type = this.devnames[i + 3];
      if (type !== 0x63 && type !== 0x62) throw this.corrupt(`devname type ${type} is neither 'c' nor 'b'`);
    }
  }

  private string(off: number, len: number): string {
    return this.strings.toString("latin1", off, off + len);
  }

  /** Compares `key` with a pooled string, as Buffer.compare would order them. */
  private compareTo(key: Buffer, off: number, len: number): number {
    return key.compare(this.strings, off, off + len);
  }

  // Members

  member(i: number): MemberInfo {
    const at = i * MEMBER_WORDS * 4;
    const m = this.members;
    return {
      index: i,
      path: this.string(m.readUInt32LE(at), m.readUInt32LE(at + 4)),
      offset: m.readUInt32LE(at + 12) * 0x100000000 + m.readUInt32LE(at + 8),
      size: m.readUInt32LE(at + 16),
      compression: compressionFromCode(m.readUInt32LE(at + 20)) as CompressionKind,
      sha256: m.subarray(at + 24, at + 56),
    };
  }

  findMember(path: string): MemberInfo | undefined {
    for (let i = 0; i < this.memberCount; i++) {
      const at = i * MEMBER_WORDS * 4;
      if (this.string(this.members.readUInt32LE(at), this.members.readUInt32LE(at + 4)) === path) return this.member(i);
    }
    return undefined;
  }

  // Modules

  moduleName(i: number): string {
    return this.string(this.modules[i * MODULE_WORDS], this.modules[i * MODULE_WORDS + 1]);
  }

  moduleMember(i: number): MemberInfo {
    return this.member(this.modules[i * MODULE_WORDS + 2]);
  }

  modulePath(i: number): string {
    return this.moduleMember(i).path;
  }

  /** modules.dep order: users before providers (the last is loaded first). */
  moduleDeps(i: number): number[] {
    const w = i * MODULE_WORDS;
    return Array.from(this.u32s.subarray(this.modules[w + 3], this.modules[w + 3] + this.modules[w + 4]));
  }

  private stringList(start: number, count: number): string[] {
    const out: string[] = [];
    for (let k = start; k < start + count; k++) out.push(this.string(this.stringLists[k * 2], this.stringLists[k * 2 + 1]));
    return out;
  }

  moduleSoftdeps(i: number): string[] {
    const w = i * MODULE_WORDS;
    return this.stringList(this.modules[w + 5], this.modules[w + 6]);
  }

  moduleWeakdeps(i: number): string[] {
    const w = i * MODULE_WORDS;
    return this.stringList(this.modules[w + 7], this.modules[w + 8]);
  }

  /** The module with this (normalised) name, or -1. */
  findModule(name: string): number {
    const key = Buffer.from(name, "latin1");
    let lo = 0;
    let hi = this.moduleCount;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.modulesByName[mid];
      const c = this.compareTo(key, this.modules[m * MODULE_WORDS], this.modules[m * MODULE_WORDS + 1]);
      if (c === 0) return m;
      if (c > 0) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  // Symbols and builtin modules

  /** The module exporting this symbol, or -1. */
  findSymbol(name: string): number {
    const key = Buffer.from(name, "latin1");
    let lo = 0;
    let hi = this.symbols.length / 3;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.compareTo(key, this.symbols[mid * 3], this.symbols[mid * 3 + 1]);
      if (c === 0) return this.symbols[mid * 3 + 2];
      if (c > 0) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  isBuiltin(name: string): boolean {
    const key = Buffer.from(name, "latin1");
    let lo = 0;
    let hi = this.builtin.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.compareTo(key, this.builtin[mid * 2], this.builtin[mid * 2 + 1]);
      if (c === 0) return true;
      if (c > 0) lo = mid + 1;
      else hi = mid;
    }
    return false;
  }

  // Aliases

  /**
   * Calls `visit` with every alias whose key's literal prefix is a prefix of `query` (the only
   * ones that can match it), in prefix-length order and depmod order within one prefix. The
   * caller decides the match (fnmatch on the key).
   */
  forEachAliasCandidate(builtin: boolean, query: string, visit: (alias: number, key: string) => void): void {
    const t = builtin ? this.builtinAliases : this.aliases;
    const q = Buffer.from(query, "latin1");
    const mask = t.hash.length - 1;
    let hash = FNV_OFFSET;
    for (let length = 0; length <= q.length; length++) {
      if (length > 0) hash = fnvStep(hash, q[length - 1]);
      for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
        const entry = t.hash[slot];
        if (entry === 0) break;
        const w = (entry - 1) * GROUP_WORDS;
        if (t.groups[w + 1] !== length || this.compareTo(q.subarray(0, length), t.groups[w], length) !== 0) continue;
        for (let k = t.groups[w + 2]; k < t.groups[w + 2] + t.groups[w + 3]; k++) {
          const a = t.sorted[k];
          visit(a, this.string(t.records[a * ALIAS_WORDS + 2], t.records[a * ALIAS_WORDS + 3]));
        }
        break;
      }
    }
  }

  aliasCount(builtin: boolean): number {
    return (builtin ? this.builtinAliases : this.aliases).records.length / ALIAS_WORDS;
  }

  alias(builtin: boolean, i: number): IndexAlias {
    const r = (builtin ? this.builtinAliases : this.aliases).records;
    const w = i * ALIAS_WORDS;
    return {
      pattern: this.string(r[w], r[w + 1]),
      key: r[w + 3] === NONE ? undefined : this.string(r[w + 2], r[w + 3]),
      target: this.string(r[w + 4], r[w + 5]),
      module: r[w + 6] === NONE ? -1 : r[w + 6],
    };
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
    const aliasList = (builtin: boolean): IndexAlias[] =>
      Array.from({ length: this.aliasCount(builtin) }, (_, i) => this.alias(builtin, i));
    const symbols = [];
    for (let i = 0; i < this.symbols.length; i += 3) {
      symbols.push({ name: this.string(this.symbols[i], this.symbols[i + 1]), module: this.symbols[i + 2] });
    }
    const builtin = [];
    for (let i = 0; i < this.builtin.length; i += 2) builtin.push(this.string(this.builtin[i], this.builtin[i + 1]));
    const devnames = [];
    for (let i = 0; i < this.devnames.length; i += DEVNAME_WORDS) {
      const d = this.devnames;
      devnames.push({
        module: d[i],
        devname: this.string(d[i + 1], d[i + 2]),
        type: d[i + 3] === 0x63 ? ("c" as const) : ("b" as const),
        major: d[i + 4],
        minor: d[i + 5],
      });
    }
    return {
      kernelVersion: this.kernelVersion,
      modules,
      aliases: aliasList(false),
      symbols,
      builtin,
      builtinAliases: aliasList(true),
      devnames,
    };
  }
}
