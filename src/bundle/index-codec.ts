import { crc32 } from "../util/crc32";
import { ModbundleError } from "../errors";
import { CompressionKind, compressionCode, compressionFromCode } from "../compress/kind";
import { IndexAlias, ModuleIndex } from "../index/types";

/**
 * The binary index stored in ".modbundle/index", and its one reader.
 *
 * Layout (little-endian u32 throughout): a 16-byte head ("MBIX", version, section count, 0), a
 * section table of (id, offset, length, CRC-32) entries, then the sections, each 4-byte aligned.
 * Strings live in several pools (core, builtin, symbol, and one per alias table), so that a
 * command reads only the pools of the tables it uses; a string is referenced as an (offset,
 * length) pair of latin1 bytes into its table's pool.
 *
 *   CORE_STRINGS     module names, paths, softdep/weakdep values, devnames, kernel version
 *   META             kernel version (string ref)
 *   MEMBERS          per stored file: path, data offset (lo, hi), size, compression, CRC-32 (28 bytes)
 *   MODULES          per module in depmod order: name, member, deps (start, count in U32S),
 *                    softdeps and weakdeps (start, count in STRING_LISTS)                (36 bytes)
 *   MODULES_BY_NAME  module numbers sorted by name bytes (binary search)
 *   U32S             dependency lists
 *   STRING_LISTS     string refs of softdep/weakdep values
 *   ALIAS_FAMILIES   the modules' aliases split into families by the first FAMILY_KEY_LENGTH bytes
 *                    of their key's literal prefix (frequent keys only; a last family holds the
 *                    others): per family its section, key, and alias and group number ranges.
 *                    A query needs only its own key's family and the last one.
 *   ALIAS_ORDER      per alias in depmod order, its number in the families' numbering
 *   BUILTIN_ALIAS_TABLE, and the families (sections FIRST_ALIAS_FAMILY + k): an alias table each,
 *   in one section with its own string pool (a head locating the parts, then the parts):
 *     records        per alias in depmod order: pattern, lookup key (normalised; length
 *                    0xffffffff when invalid), target name, module number (0xffffffff for builtin)
 *     sorted         alias numbers grouped by the key's literal prefix (the text before the first
 *                    '*', '?' or '['), depmod order within a group
 *     groups         per distinct prefix: prefix string ref (the start of a key), first position
 *                    in sorted, count
 *     hash           open-addressing table (power-of-two size) of group number + 1, keyed by
 *                    FNV-1a of the prefix; a lookup hashes every prefix of the query, extending
 *                    the hash one byte at a time, so it costs one probe per query byte
 *     lengths        the distinct prefix lengths, ascending (no other length needs a probe)
 *   SYMBOLS          (name, module) sorted by name bytes (strings in SYMBOL_STRINGS)
 *   BUILTIN          builtin module names sorted by bytes (strings in BUILTIN_STRINGS)
 *   DEVNAMES         module, devname, type ('c' or 'b'), major, minor
 *
 * The reader reads the head and section table when it opens the index and each section the first
 * time it is used, checking its CRC-32; every reference is checked when it is read, so that
 * opening costs almost nothing and a hostile index cannot send a read out of bounds. validate()
 * checks everything at once (for verify).
 */
export const INDEX_MAGIC = "MBIX";
export const INDEX_VERSION = 2;
/** Bytes a reader fetches to get the head and the section table in one read. */
export const INDEX_DIRECTORY_MAX = 16 + 64 * 16;
const ENTRY_SIZE = 16;

/** The length of the head and section table at the start of `index`, or undefined if it does not fit. */
export function indexDirectoryLength(index: Buffer): number | undefined {
  if (index.length < 16) return undefined;
  const length = 16 + index.readUInt32LE(8) * ENTRY_SIZE;
  return length <= index.length && length <= INDEX_DIRECTORY_MAX ? length : undefined;
}

enum Section {
  CoreStrings = 1,
  Meta,
  Members,
  Modules,
  ModulesByName,
  U32s,
  StringLists,
  Symbols = 16,
  Builtin,
  Devnames,
  BuiltinStrings = 20,
  SymbolStrings,
  AliasFamilies = 24,
  AliasOrder,
  BuiltinAliasTable,
  /** The first of the alias families' tables: family k is section FirstAliasFamily + k. */
  FirstAliasFamily = 32,
}

/** Families: aliases whose literal prefix starts with the same FAMILY_KEY_LENGTH bytes. */
const FAMILY_KEY_LENGTH = 4;
const FAMILY_MIN_ALIASES = 256;
const MAX_KEYED_FAMILIES = 31;
const FAMILY_WORDS = 7;
const TABLE_HEAD_WORDS = 12;

const MEMBER_WORDS = 7;
const MODULE_WORDS = 9;
const ALIAS_WORDS = 7;
const GROUP_WORDS = 4;
const DEVNAME_WORDS = 6;
const NONE = 0xffffffff;
const HOST_BIG_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;

export interface MemberRecord {
  readonly path: string;
  readonly offset: number;
  readonly size: number;
  readonly compression: CompressionKind;
  /** CRC-32 (zlib's) of the stored bytes. */
  readonly crc32: number;
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

function padded(data: Buffer): Buffer {
  const pad = (4 - (data.length % 4)) % 4;
  return pad === 0 ? data : Buffer.concat([data, Buffer.alloc(pad)]);
}

/**
 * One alias table in one section: a head of six (offset, length) word pairs, in bytes from the
 * section's start, locating records, sorted, groups, hash, prefix lengths and the strings, then
 * those parts, each padded to 4 bytes. The table has its own string pool, so that a lookup reads
 * only the tables it needs.
 */
function encodeAliasTable(aliases: readonly IndexAlias[]): Buffer {
  const pool = new StringPool();
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
    // The prefix is the start of its first alias's key: point into that string, store nothing new.
    const [keyOffset] = pool.ref(aliases[members[0]].key as string);
    groups.push(keyOffset, Buffer.byteLength(prefix, "latin1"), sorted.length, members.length);
    sorted.push(...members);
    const bytes = Buffer.from(prefix, "latin1");
    let slot = fnv(bytes, 0, bytes.length) & (tableSize - 1);
    while (hash[slot] !== 0) slot = (slot + 1) & (tableSize - 1);
    hash[slot] = g + 1;
  });
  const lengths = [...new Set(prefixes.map((p) => Buffer.byteLength(p, "latin1")))].sort((a, b) => a - b);
  const parts = [words(records), words(sorted), words(groups), words(hash), words(lengths), padded(pool.bytes())];
  const head = Buffer.alloc(TABLE_HEAD_WORDS * 4);
  let at = head.length;
  parts.forEach((part, i) => {
    head.writeUInt32LE(at, i * 8);
    head.writeUInt32LE(part.length, i * 8 + 4);
    at += part.length;
  });
  return Buffer.concat([head, ...parts]);
}

/** The family key of an alias: the first FAMILY_KEY_LENGTH bytes of its key's literal prefix. */
function familyKeyOf(alias: IndexAlias): string | undefined {
  if (alias.key === undefined) return undefined;
  const prefixLength = literalPrefixLength(alias.key);
  return prefixLength >= FAMILY_KEY_LENGTH ? alias.key.slice(0, FAMILY_KEY_LENGTH) : undefined;
}

/**
 * The aliases split into families: one per frequent family key (sorted by bytes), then one for
 * all the others (key undefined). A query needs only its own key's family and the last one.
 */
function aliasFamilies(aliases: readonly IndexAlias[]): Array<{ key: string | undefined; members: number[] }> {
  const counts = new Map<string, number>();
  for (const alias of aliases) {
    const key = familyKeyOf(alias);
    if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const keys = [...counts]
    .filter(([, count]) => count >= FAMILY_MIN_ALIASES)
    .sort((a, b) => b[1] - a[1] || byteCompare(a[0], b[0]))
    .slice(0, MAX_KEYED_FAMILIES)
    .map(([key]) => key)
    .sort(byteCompare);
  const families: Array<{ key: string | undefined; members: number[] }> = [...keys.map((key) => ({ key, members: [] as number[] })), { key: undefined, members: [] }];
  const familyOfKey = new Map(keys.map((key, i) => [key, i]));
  aliases.forEach((alias, i) => {
    const key = familyKeyOf(alias);
    families[(key === undefined ? undefined : familyOfKey.get(key)) ?? keys.length].members.push(i);
  });
  return families;
}

export function encodeIndex(content: IndexContent): Buffer {
  const { index, members } = content;
  const pool = new StringPool();
  const builtinPool = new StringPool();
  const symbolPool = new StringPool();
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
    memberBuf.writeUInt32LE(m.crc32, at + 24);
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

  const families = aliasFamilies(index.aliases);
  const familyTables = families.map((family) => encodeAliasTable(family.members.map((i) => index.aliases[i])));
  const familyWords: number[] = [];
  const aliasOrder = new Array<number>(index.aliases.length);
  let aliasBase = 0;
  let groupBase = 0;
  families.forEach((family, k) => {
    const keyBytes = Buffer.alloc(4);
    if (family.key !== undefined) keyBytes.write(family.key, "latin1");
    const groupCount = familyTables[k].readUInt32LE(2 * 8 + 4) / (GROUP_WORDS * 4);
    familyWords.push(Section.FirstAliasFamily + k, family.key === undefined ? 0 : FAMILY_KEY_LENGTH, keyBytes.readUInt32LE(0), aliasBase, family.members.length, groupBase, groupCount);
    family.members.forEach((original, local) => (aliasOrder[original] = aliasBase + local));
    aliasBase += family.members.length;
    groupBase += groupCount;
  });
  const symbols: number[] = [];
  for (const symbol of [...index.symbols].sort((a, b) => byteCompare(a.name, b.name))) symbols.push(...symbolPool.ref(symbol.name), symbol.module);
  const builtin: number[] = [];
  for (const name of [...index.builtin].sort(byteCompare)) builtin.push(...builtinPool.ref(name));
  const devnames: number[] = [];
  for (const d of index.devnames) devnames.push(d.module, ...pool.ref(d.devname), d.type.charCodeAt(0), d.major, d.minor);

  const sections: Array<[Section, Buffer]> = [
    [Section.Meta, meta],
    [Section.Members, memberBuf],
    [Section.Modules, words(moduleWords)],
    [Section.ModulesByName, words(byName)],
    [Section.U32s, words(u32s)],
    [Section.StringLists, words(stringLists)],
    [Section.Symbols, words(symbols)],
    [Section.Builtin, words(builtin)],
    [Section.Devnames, words(devnames)],
  ];
  sections.unshift([Section.CoreStrings, pool.bytes()]);
  sections.push(
    [Section.BuiltinStrings, builtinPool.bytes()],
    [Section.SymbolStrings, symbolPool.bytes()],
    [Section.AliasFamilies, words(familyWords)],
    [Section.AliasOrder, words(aliasOrder)],
    [Section.BuiltinAliasTable, encodeAliasTable(index.builtinAliases)],
    ...familyTables.map((table, k): [Section, Buffer] => [Section.FirstAliasFamily + k, table]),
  );

  const head = Buffer.alloc(16 + sections.length * ENTRY_SIZE);
  head.write(INDEX_MAGIC, 0, "latin1");
  head.writeUInt32LE(INDEX_VERSION, 4);
  head.writeUInt32LE(sections.length, 8);
  const chunks: Buffer[] = [head];
  let offset = head.length;
  sections.forEach(([id, data], i) => {
    const at = 16 + i * ENTRY_SIZE;
    head.writeUInt32LE(id, at);
    head.writeUInt32LE(offset, at + 4);
    head.writeUInt32LE(data.length, at + 8);
    head.writeUInt32LE(crc32(data), at + 12);
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

/** Where the reader gets section bytes: `read(offset, length)` relative to the index start. */
export interface IndexSource {
  readonly length: number;
  read(offset: number, length: number): Buffer;
}

/** An index held whole in memory (tests, and directories read into an index). */
export function bufferIndexSource(data: Buffer): IndexSource {
  return { length: data.length, read: (offset, length) => data.subarray(offset, offset + length) };
}

interface AliasTable {
  /** Alias and group numbers of this table start at these (families share one numbering). */
  readonly aliasBase: number;
  readonly groupBase: number;
  /** The longest literal prefix of any group: longer query prefixes need no probe. */
  readonly longestPrefix: number;
  /** Which prefix lengths some group has: the others need no probe. */
  readonly prefixLengths: Uint8Array;
  readonly strings: Buffer;
  readonly records: Uint32Array;
  readonly sorted: Uint32Array;
  readonly groups: Uint32Array;
  readonly hash: Uint32Array;
}

interface Entry {
  readonly offset: number;
  readonly length: number;
  readonly crc: number;
}

const RECORD_WORDS: Partial<Record<Section, number>> = {
  [Section.Meta]: 2,
  [Section.Modules]: MODULE_WORDS,
  [Section.ModulesByName]: 1,
  [Section.U32s]: 1,
  [Section.StringLists]: 2,
  [Section.Symbols]: 3,
  [Section.Builtin]: 2,
  [Section.Devnames]: DEVNAME_WORDS,
  [Section.AliasFamilies]: FAMILY_WORDS,
  [Section.AliasOrder]: 1,
};

interface AliasFamily {
  readonly section: Section;
  /** The family key; undefined for the family of all other aliases, which every query needs. */
  readonly key: string | undefined;
  readonly aliasBase: number;
  readonly aliasCount: number;
  readonly groupBase: number;
  readonly groupCount: number;
}

export class BundleIndex {
  private readonly entries = new Map<Section, Entry>();
  private readonly loaded = new Map<Section, Buffer>();
  private readonly aliasTables = new Map<Section, AliasTable>();
  private familyList?: AliasFamily[];

  constructor(
    private readonly source: IndexSource,
    /** The head and section table: the first min(INDEX_DIRECTORY_MAX, length) bytes. */
    directory: Buffer,
    private readonly where: string,
  ) {
    if (directory.length < 16 || directory.toString("latin1", 0, 4) !== INDEX_MAGIC) throw this.corrupt("bad index magic");
    const version = directory.readUInt32LE(4);
    if (version !== INDEX_VERSION) throw this.corrupt(`unsupported index version ${version}`);
    const count = directory.readUInt32LE(8);
    if (count > 64 || 16 + count * ENTRY_SIZE > directory.length) throw this.corrupt(`section table of ${count} entries does not fit`);
    for (let i = 0; i < count; i++) {
      const at = 16 + i * ENTRY_SIZE;
      const id = directory.readUInt32LE(at) as Section;
      const offset = directory.readUInt32LE(at + 4);
      const length = directory.readUInt32LE(at + 8);
      if (offset % 4 !== 0 || offset > source.length || length > source.length - offset) {
        throw this.corrupt(`section ${id} at ${offset}+${length} lies outside the index (${source.length} bytes)`);
      }
      this.entries.set(id, { offset, length, crc: directory.readUInt32LE(at + 12) });
    }
  }

  get kernelVersion(): string {
    const meta = this.table(Section.Meta);
    if (meta.length !== 2) throw this.corrupt("section Meta has the wrong size");
    return this.string(this.coreStrings, meta[0], meta[1]);
  }

  /** Opens an index held whole in a buffer. */
  static fromBuffer(data: Buffer, where: string): BundleIndex {
    return new BundleIndex(bufferIndexSource(data), data.subarray(0, INDEX_DIRECTORY_MAX), where);
  }

  private corrupt(reason: string): ModbundleError {
    return new ModbundleError("EBUNDLE", `${this.where}: corrupt index: ${reason}`);
  }

  /** A section's bytes, read and CRC-checked the first time. */
  private section(id: Section): Buffer {
    let data = this.loaded.get(id);
    if (data) return data;
    const entry = this.entries.get(id);
    if (!entry) throw this.corrupt(`section ${Section[id]} is missing`);
    data = this.source.read(entry.offset, entry.length);
    if (crc32(data) !== entry.crc) {
      throw new ModbundleError("ECHECKSUM", `${this.where}: index checksum mismatch in section ${Section[id]} (corrupt index)`);
    }
    const words = RECORD_WORDS[id];
    if (words !== undefined) {
      if (data.length % (words * 4) !== 0) throw this.corrupt(`section ${Section[id]} has a partial record`);
      // The u32 tables are viewed in place, in host order: copy when misaligned or big-endian.
      if (data.byteOffset % 4 !== 0 || HOST_BIG_ENDIAN) {
        const copy = Buffer.alloc(data.length);
        data.copy(copy);
        if (HOST_BIG_ENDIAN) copy.swap32();
        data = copy;
      }
    }
    this.loaded.set(id, data);
    return data;
  }

  private readonly views = new Map<Section, Uint32Array>();

  private table(id: Section): Uint32Array {
    let view = this.views.get(id);
    if (!view) {
      const data = this.section(id);
      view = new Uint32Array(data.buffer, data.byteOffset, data.length / 4);
      this.views.set(id, view);
    }
    return view;
  }

  private get coreStrings(): Buffer {
    return this.section(Section.CoreStrings);
  }

  private get members(): Buffer {
    const data = this.section(Section.Members);
    if (data.length % (MEMBER_WORDS * 4) !== 0) throw this.corrupt("section Members has a partial record");
    return data;
  }

  get memberCount(): number {
    return this.members.length / (MEMBER_WORDS * 4);
  }

  private get modules(): Uint32Array {
    return this.table(Section.Modules);
  }

  get moduleCount(): number {
    return this.modules.length / MODULE_WORDS;
  }

  /** The regular aliases' families, from ALIAS_FAMILIES, with their number ranges checked. */
  private get families(): AliasFamily[] {
    if (!this.familyList) {
      const f = this.table(Section.AliasFamilies);
      const families: AliasFamily[] = [];
      let aliasBase = 0;
      let groupBase = 0;
      for (let w = 0; w < f.length; w += FAMILY_WORDS) {
        const keyLength = f[w + 1];
        if (f[w] < Section.FirstAliasFamily || f[w] >= Section.FirstAliasFamily + 64 || keyLength > FAMILY_KEY_LENGTH) throw this.corrupt(`alias family ${w / FAMILY_WORDS} is malformed`);
        if (f[w + 3] !== aliasBase || f[w + 5] !== groupBase) throw this.corrupt(`alias family ${w / FAMILY_WORDS} does not continue the numbering`);
        const keyBytes = Buffer.alloc(4);
        keyBytes.writeUInt32LE(f[w + 2]);
        families.push({ section: f[w], key: keyLength === 0 ? undefined : keyBytes.toString("latin1", 0, keyLength), aliasBase, aliasCount: f[w + 4], groupBase, groupCount: f[w + 6] });
        aliasBase += f[w + 4];
        groupBase += f[w + 6];
      }
      this.familyList = families;
    }
    return this.familyList;
  }

  /** The tables a query must search: the families of its key, and the table of the others. */
  private tablesFor(builtin: boolean, query: string): AliasTable[] {
    if (builtin) return [this.loadAliasTable(Section.BuiltinAliasTable, 0, 0)];
    const tables: AliasTable[] = [];
    for (const family of this.families) {
      if (family.key === undefined || query.startsWith(family.key)) tables.push(this.familyTable(family));
    }
    return tables;
  }

  private familyTable(family: AliasFamily): AliasTable {
    let table = this.aliasTables.get(family.section);
    if (!table) {
      table = this.loadAliasTable(family.section, family.aliasBase, family.groupBase);
      if (table.records.length / ALIAS_WORDS !== family.aliasCount || table.groups.length / GROUP_WORDS !== family.groupCount) {
        throw this.corrupt(`alias family in section ${family.section} disagrees with ALIAS_FAMILIES`);
      }
    }
    return table;
  }

  /** The table last found by tableOf: consecutive calls mostly ask about the same one. */
  private lastTable?: AliasTable;

  /** The table holding alias number `number` (or, with `group`, group number `number`). */
  private tableOf(builtin: boolean, number: number, group = false): AliasTable {
    if (builtin) return this.loadAliasTable(Section.BuiltinAliasTable, 0, 0);
    const last = this.lastTable;
    if (last) {
      const [base, count] = group ? [last.groupBase, last.groups.length / GROUP_WORDS] : [last.aliasBase, last.records.length / ALIAS_WORDS];
      if (number >= base && number - base < count) return last;
    }
    for (const family of this.families) {
      const [base, count] = group ? [family.groupBase, family.groupCount] : [family.aliasBase, family.aliasCount];
      if (number >= base && number - base < count) return (this.lastTable = this.familyTable(family));
    }
    throw this.corrupt(`${group ? "alias group" : "alias number"} ${number} is out of range`);
  }

  /** A packed alias table section (see encodeAliasTable). */
  private loadAliasTable(id: Section, aliasBase: number, groupBase: number): AliasTable {
    let table = this.aliasTables.get(id);
    if (table) return table;
    const data = this.section(id);
    if (data.length < TABLE_HEAD_WORDS * 4) throw this.corrupt(`alias table ${Section[id] ?? id} is shorter than its head`);
    const part = (i: number, recordBytes: number): [number, number] => {
      const offset = data.readUInt32LE(i * 8);
      const length = data.readUInt32LE(i * 8 + 4);
      if (offset % 4 !== 0 || offset > data.length || length > data.length - offset || length % recordBytes !== 0) {
        throw this.corrupt(`alias table ${id} part ${i} at ${offset}+${length} is malformed`);
      }
      return [offset, length];
    };
    const wordsOf = (i: number, recordWords: number): Uint32Array => {
      const [offset, length] = part(i, recordWords * 4);
      // Viewed in place, in host order: copied when misaligned or big-endian.
      if ((data.byteOffset + offset) % 4 === 0 && !HOST_BIG_ENDIAN) return new Uint32Array(data.buffer, data.byteOffset + offset, length / 4);
      const copy = Buffer.alloc(length);
      data.copy(copy, 0, offset, offset + length);
      if (HOST_BIG_ENDIAN) copy.swap32();
      return new Uint32Array(copy.buffer, copy.byteOffset, length / 4);
    };
    const [stringsOffset, stringsLength] = part(5, 1);
    const lengths = wordsOf(4, 1);
    const longestPrefix = lengths.length > 0 ? Math.min(lengths[lengths.length - 1], 0xffff) : 0;
    const prefixLengths = new Uint8Array(longestPrefix + 1);
    for (const length of lengths) if (length <= longestPrefix) prefixLengths[length] = 1;
    table = {
      aliasBase,
      groupBase,
      longestPrefix,
      prefixLengths,
      records: wordsOf(0, ALIAS_WORDS),
      sorted: wordsOf(1, 1),
      groups: wordsOf(2, GROUP_WORDS),
      hash: wordsOf(3, 1),
      strings: data.subarray(stringsOffset, stringsOffset + stringsLength),
    };
    if (table.hash.length === 0 || (table.hash.length & (table.hash.length - 1)) !== 0) {
      throw this.corrupt("alias hash table size is not a power of two");
    }
    this.aliasTables.set(id, table);
    return table;
  }

  // Checked access

  private string(pool: Buffer, off: number, len: number): string {
    if (off > pool.length || len > pool.length - off) throw this.corrupt(`string ${off}+${len} lies outside the string table`);
    return pool.toString("latin1", off, off + len);
  }

  /** Compares `key` with a pooled string, as Buffer.compare would order them. */
  private compareTo(key: Buffer, pool: Buffer, off: number, len: number): number {
    if (off > pool.length || len > pool.length - off) throw this.corrupt(`string ${off}+${len} lies outside the string table`);
    return key.compare(pool, off, off + len);
  }

  private below(value: number, limit: number, what: string): number {
    if (!(value < limit)) throw this.corrupt(`${what} ${value} is out of range (< ${limit})`);
    return value;
  }

  private span(start: number, count: number, limit: number, what: string): void {
    if (start > limit || count > limit - start) throw this.corrupt(`${what} ${start}+${count} is out of range (${limit})`);
  }

  /**
   * Checks every reference in the index at once (verify does this). Lookups do not need it: each
   * accessor checks what it reads.
   */
  validate(): void {
    for (const id of this.entries.keys()) this.section(id);
    for (let i = 0; i < this.memberCount; i++) this.member(i);
    for (let i = 0; i < this.moduleCount; i++) {
      this.moduleName(i);
      this.moduleMember(i);
      this.moduleDeps(i);
      this.moduleSoftdeps(i);
      this.moduleWeakdeps(i);
    }
    const byName = this.table(Section.ModulesByName);
    if (byName.length !== this.moduleCount) throw this.corrupt("name table and module table differ in size");
    for (const m of byName) this.below(m, this.moduleCount, "module number");
    const tables = [this.loadAliasTable(Section.BuiltinAliasTable, 0, 0), ...this.families.map((family) => this.familyTable(family))];
    for (const t of tables) {
      const builtin = t === tables[0];
      const aliasCount = t.records.length / ALIAS_WORDS;
      for (let i = 0; i < aliasCount; i++) this.alias(builtin, t.aliasBase + i);
      for (const v of t.sorted) this.below(v, aliasCount, "alias number");
      const groupCount = t.groups.length / GROUP_WORDS;
      for (let g = 0; g < groupCount; g++) {
        const w = g * GROUP_WORDS;
        this.string(t.strings, t.groups[w], t.groups[w + 1]);
        this.span(t.groups[w + 2], t.groups[w + 3], t.sorted.length, "alias group");
      }
      if (t.hash.length < groupCount) throw this.corrupt("alias hash table is smaller than its group count");
      for (const v of t.hash) if (v !== 0) this.below(v - 1, groupCount, "alias group number");
    }
    this.toModuleIndex();
  }

  // Members

  member(i: number): MemberInfo {
    this.below(i, this.memberCount, "member");
    const at = i * MEMBER_WORDS * 4;
    const m = this.members;
    const code = m.readUInt32LE(at + 20);
    const compression = compressionFromCode(code);
    if (compression === undefined) throw this.corrupt(`member ${i} has unknown compression ${code}`);
    return {
      index: i,
      path: this.string(this.coreStrings, m.readUInt32LE(at), m.readUInt32LE(at + 4)),
      offset: this.below(m.readUInt32LE(at + 12), 0x200000, `member ${i} offset high word`) * 0x100000000 + m.readUInt32LE(at + 8),
      size: m.readUInt32LE(at + 16),
      compression,
      crc32: m.readUInt32LE(at + 24),
    };
  }

  findMember(path: string): MemberInfo | undefined {
    const m = this.members;
    for (let i = 0; i < this.memberCount; i++) {
      const at = i * MEMBER_WORDS * 4;
      if (this.string(this.coreStrings, m.readUInt32LE(at), m.readUInt32LE(at + 4)) === path) return this.member(i);
    }
    return undefined;
  }

  // Modules

  moduleName(i: number): string {
    this.below(i, this.moduleCount, "module");
    const modules = this.modules;
    return this.string(this.coreStrings, modules[i * MODULE_WORDS], modules[i * MODULE_WORDS + 1]);
  }

  moduleMember(i: number): MemberInfo {
    this.below(i, this.moduleCount, "module");
    return this.member(this.below(this.modules[i * MODULE_WORDS + 2], this.memberCount, `module ${i} member`));
  }

  modulePath(i: number): string {
    return this.moduleMember(i).path;
  }

  /** modules.dep order: users before providers (the last is loaded first). */
  moduleDeps(i: number): number[] {
    this.below(i, this.moduleCount, "module");
    const w = i * MODULE_WORDS;
    const modules = this.modules;
    const u32s = this.table(Section.U32s);
    this.span(modules[w + 3], modules[w + 4], u32s.length, `module ${i} dependency list`);
    const deps = Array.from(u32s.subarray(modules[w + 3], modules[w + 3] + modules[w + 4]));
    for (const d of deps) this.below(d, this.moduleCount, "dependency");
    return deps;
  }

  private stringList(start: number, count: number): string[] {
    const lists = this.table(Section.StringLists);
    this.span(start, count, lists.length / 2, "softdep/weakdep list");
    const out: string[] = [];
    for (let k = start; k < start + count; k++) out.push(this.string(this.coreStrings, lists[k * 2], lists[k * 2 + 1]));
    return out;
  }

  moduleSoftdeps(i: number): string[] {
    this.below(i, this.moduleCount, "module");
    const w = i * MODULE_WORDS;
    return this.stringList(this.modules[w + 5], this.modules[w + 6]);
  }

  moduleWeakdeps(i: number): string[] {
    this.below(i, this.moduleCount, "module");
    const w = i * MODULE_WORDS;
    return this.stringList(this.modules[w + 7], this.modules[w + 8]);
  }

  /** Every module's softdep= (or weakdep=) values, visiting only the modules that have some. */
  forEachModuleDep(kind: "softdep" | "weakdep", visit: (module: string, value: string) => void): void {
    const at = kind === "softdep" ? 5 : 7;
    const modules = this.modules;
    const count = this.moduleCount;
    for (let i = 0; i < count; i++) {
      const w = i * MODULE_WORDS;
      if (modules[w + at + 1] === 0) continue;
      const name = this.moduleName(i);
      for (const value of this.stringList(modules[w + at], modules[w + at + 1])) visit(name, value);
    }
  }

  /**
   * Binary search of a table sorted by name bytes: `count` records whose name is the string at
   * (nameOf(i), nameOf(i) + 1 words). Returns the record number or -1.
   */
  private search(key: string, count: number, strings: Buffer, nameWord: (i: number) => number, words: Uint32Array): number {
    const bytes = Buffer.from(key, "latin1");
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = nameWord(mid);
      const c = this.compareTo(bytes, strings, words[at], words[at + 1]);
      if (c === 0) return mid;
      if (c > 0) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  /** The module with this (normalised) name, or -1. */
  findModule(name: string): number {
    const byName = this.table(Section.ModulesByName);
    const count = Math.min(byName.length, this.moduleCount);
    const found = this.search(name, count, this.coreStrings, (i) => this.below(byName[i], this.moduleCount, "module number") * MODULE_WORDS, this.modules);
    return found < 0 ? -1 : byName[found];
  }

  // Symbols and builtin modules

  /** The module exporting this symbol, or -1. */
  findSymbol(name: string): number {
    const symbols = this.table(Section.Symbols);
    const found = this.search(name, symbols.length / 3, this.section(Section.SymbolStrings), (i) => i * 3, symbols);
    return found < 0 ? -1 : this.below(symbols[found * 3 + 2], this.moduleCount, "symbol owner");
  }

  isBuiltin(name: string): boolean {
    const builtin = this.table(Section.Builtin);
    return this.search(name, builtin.length / 2, this.section(Section.BuiltinStrings), (i) => i * 2, builtin) >= 0;
  }

  // Aliases

  /**
   * Calls `visit` with every group of aliases whose keys' literal prefix (the text before the
   * first '*', '?' or '[') is a prefix of `query`: the only aliases that can match it. A group is
   * identified by its number and holds `count` aliases, read with groupAlias().
   */
  forEachAliasGroup(builtin: boolean, query: string, visit: (group: number, count: number) => void): void {
    for (const table of this.tablesFor(builtin, query)) this.forEachGroupIn(table, query, visit);
  }

  private forEachGroupIn(t: AliasTable, query: string, visit: (group: number, count: number) => void): void {
    const { hash: table, groups, strings } = t;
    const mask = table.length - 1;
    const groupCount = groups.length / GROUP_WORDS;
    // The query is a byte string: its char codes are its bytes, hashed and compared in place.
    const longest = Math.min(query.length, t.longestPrefix);
    let hash = FNV_OFFSET;
    for (let length = 0; length <= longest; length++) {
      if (length > 0) hash = fnvStep(hash, query.charCodeAt(length - 1));
      if (t.prefixLengths[length] === 0) continue;
      for (let slot = hash & mask, probes = 0; probes <= mask; slot = (slot + 1) & mask, probes++) {
        const entry = table[slot];
        if (entry === 0) break;
        const group = entry - 1;
        if (group >= groupCount) throw this.corrupt(`alias group number ${group} is out of range (< ${groupCount})`);
        const w = group * GROUP_WORDS;
        if (groups[w + 1] !== length) continue;
        const off = groups[w];
        if (off > strings.length || length > strings.length - off) throw this.corrupt(`string ${off}+${length} lies outside the string table`);
        let equal = true;
        for (let i = 0; i < length; i++) {
          if (strings[off + i] !== query.charCodeAt(i)) {
            equal = false;
            break;
          }
        }
        if (!equal) continue;
        this.span(groups[w + 2], groups[w + 3], t.sorted.length, "alias group");
        visit(t.groupBase + group, groups[w + 3]);
        break;
      }
    }
  }

  /** The alias number of the `k`th member of a group (see forEachAliasGroup). */
  groupAlias(builtin: boolean, group: number, k: number): number {
    const t = this.tableOf(builtin, group, true);
    const w = (group - t.groupBase) * GROUP_WORDS;
    return t.aliasBase + this.below(t.sorted[t.groups[w + 2] + this.below(k, t.groups[w + 3], "alias group member")], t.records.length / ALIAS_WORDS, "alias number");
  }

  /** An alias's lookup key (its normalised pattern). */
  aliasKey(builtin: boolean, alias: number): string {
    const t = this.tableOf(builtin, alias);
    const i = alias - t.aliasBase;
    return this.string(t.strings, t.records[i * ALIAS_WORDS + 2], t.records[i * ALIAS_WORDS + 3]);
  }

  /** An alias's target module name and priority (its module number; 0 for builtin aliases). */
  aliasTarget(builtin: boolean, alias: number): { readonly target: string; readonly priority: number } {
    const t = this.tableOf(builtin, alias);
    const w = (alias - t.aliasBase) * ALIAS_WORDS;
    const module = t.records[w + 6];
    return { target: this.string(t.strings, t.records[w + 4], t.records[w + 5]), priority: module === NONE ? 0 : this.below(module, this.moduleCount, "alias module") };
  }

  aliasCount(builtin: boolean): number {
    if (builtin) return this.loadAliasTable(Section.BuiltinAliasTable, 0, 0).records.length / ALIAS_WORDS;
    const families = this.families;
    return families.length === 0 ? 0 : families[families.length - 1].aliasBase + families[families.length - 1].aliasCount;
  }

  /** Alias number `alias` (numbers run through the families; see aliasInDepmodOrder). */
  alias(builtin: boolean, alias: number): IndexAlias {
    const t = this.tableOf(builtin, alias);
    const r = t.records;
    const w = (alias - t.aliasBase) * ALIAS_WORDS;
    return {
      pattern: this.string(t.strings, r[w], r[w + 1]),
      key: r[w + 3] === NONE ? undefined : this.string(t.strings, r[w + 2], r[w + 3]),
      target: this.string(t.strings, r[w + 4], r[w + 5]),
      module: r[w + 6] === NONE ? -1 : this.below(r[w + 6], this.moduleCount, "alias module"),
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
    const order = this.table(Section.AliasOrder);
    if (order.length !== this.aliasCount(false)) throw this.corrupt("ALIAS_ORDER and the alias families differ in size");
    const aliasList = (builtin: boolean): IndexAlias[] =>
      Array.from({ length: this.aliasCount(builtin) }, (_, i) => this.alias(builtin, builtin ? i : order[i]));
    const symbolTable = this.table(Section.Symbols);
    const symbolStrings = this.section(Section.SymbolStrings);
    const symbols = [];
    for (let i = 0; i < symbolTable.length; i += 3) {
      symbols.push({ name: this.string(symbolStrings, symbolTable[i], symbolTable[i + 1]), module: this.below(symbolTable[i + 2], this.moduleCount, "symbol owner") });
    }
    const builtinTable = this.table(Section.Builtin);
    const builtinStrings = this.section(Section.BuiltinStrings);
    const builtin = [];
    for (let i = 0; i < builtinTable.length; i += 2) builtin.push(this.string(builtinStrings, builtinTable[i], builtinTable[i + 1]));
    const d = this.table(Section.Devnames);
    const devnames = [];
    for (let i = 0; i < d.length; i += DEVNAME_WORDS) {
      if (d[i + 3] !== 0x63 && d[i + 3] !== 0x62) throw this.corrupt(`devname type ${d[i + 3]} is neither 'c' nor 'b'`);
      devnames.push({
        module: this.below(d[i], this.moduleCount, "devname module"),
        devname: this.string(this.coreStrings, d[i + 1], d[i + 2]),
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
