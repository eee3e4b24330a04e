import { HOST_LITTLE_ENDIAN } from "../util/host-endian";
import { IndexAlias } from "../index/types";
import { IndexSections, NONE, STRING_VOLUME_FACTOR, Section } from "./index-sections";
import { StringPool, byteCompare, padded, words } from "./index-strings";

/**
 * A packed alias table: BUILTIN_ALIAS_TABLE, and each alias family's section
 * (bundle/index-alias-families.ts). One section with its own string pool: a head of six
 * (offset, length) word pairs, in bytes from the section's start, locating the parts below, then
 * those parts, each padded to 4 bytes.
 *
 *   records        per alias in depmod order: pattern, lookup key (normalised; length
 *                  0xffffffff when invalid), target name, module number (0xffffffff for builtin)
 *   sorted         alias numbers grouped by the key's literal prefix (the text before the first
 *                  '*', '?' or '['), depmod order within a group
 *   groups         per distinct prefix: prefix string ref (the start of a key), first position
 *                  in sorted, count
 *   hash           open-addressing table (power-of-two size) of group number + 1, keyed by
 *                  FNV-1a of the prefix; a lookup hashes every prefix of the query, extending
 *                  the hash one byte at a time, so it costs one probe per query byte
 *   lengths        the distinct prefix lengths, ascending (no other length needs a probe)
 *   strings        the table's string pool
 */
export const ALIAS_WORDS = 7;
export const GROUP_WORDS = 4;
export const TABLE_HEAD_WORDS = 12;

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

export function encodeAliasTable(aliases: readonly IndexAlias[]): Buffer {
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

/** The number of groups of an encoded table. */
export function encodedGroupCount(table: Buffer): number {
  return table.readUInt32LE(2 * 8 + 4) / (GROUP_WORDS * 4);
}

/**
 * What lookups have checked of a table so far. A table's records are read a few at a time, so the
 * rules that bound a reader's work (man/modbundle.5, INTEGRITY) are checked for what is read, when
 * it is first read, instead of over the whole table when it is opened (thousands of records, in
 * the interpreter, at every start-up); verify checks the whole table (checkWholeAliasTable).
 */
interface LookupChecks {
  /** Per group, 1 once a lookup has used it; per position of sorted, 1 once a used group holds it. */
  groupUsed?: Uint8Array;
  positionHeld?: Uint8Array;
  /** Per record, 1 once its strings are counted in stringBytes. */
  recordCounted?: Uint8Array;
  stringBytes: number;
}

export interface AliasTable {
  readonly id: Section;
  /** The section's bytes (records, groups, hash and pool): what bounds its strings' volume. */
  readonly bytes: number;
  readonly checks: LookupChecks;
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

/** Reads a packed alias table section, checking that its parts lie inside it. */
export function readAliasTable(s: IndexSections, id: Section, aliasBase: number, groupBase: number): AliasTable {
  const data = s.section(id);
  if (data.length < TABLE_HEAD_WORDS * 4) throw s.corrupt(`alias table ${Section[id] ?? id} is shorter than its head`);
  const part = (i: number, recordBytes: number): [number, number] => {
    const offset = data.readUInt32LE(i * 8);
    const length = data.readUInt32LE(i * 8 + 4);
    if (offset % 4 !== 0 || offset > data.length || length > data.length - offset || length % recordBytes !== 0) {
      throw s.corrupt(`alias table ${id} part ${i} at ${offset}+${length} is malformed`);
    }
    return [offset, length];
  };
  const wordsOf = (i: number, recordWords: number): Uint32Array => {
    const [offset, length] = part(i, recordWords * 4);
    // Viewed in place, in host order: copied when misaligned or big-endian.
    if ((data.byteOffset + offset) % 4 === 0 && HOST_LITTLE_ENDIAN) return new Uint32Array(data.buffer, data.byteOffset + offset, length / 4);
    const copy = Buffer.alloc(length);
    data.copy(copy, 0, offset, offset + length);
    if (!HOST_LITTLE_ENDIAN) copy.swap32();
    return new Uint32Array(copy.buffer, copy.byteOffset, length / 4);
  };
  const [stringsOffset, stringsLength] = part(5, 1);
  const lengths = wordsOf(4, 1);
  const longestPrefix = lengths.length > 0 ? Math.min(lengths[lengths.length - 1], 0xffff) : 0;
  const prefixLengths = new Uint8Array(longestPrefix + 1);
  for (const length of lengths) if (length <= longestPrefix) prefixLengths[length] = 1;
  const table: AliasTable = {
    id,
    bytes: data.length,
    checks: { stringBytes: 0 },
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
    throw s.corrupt("alias hash table size is not a power of two");
  }
  return table;
}

/**
 * Marks a group used by a lookup, checking that no group used before holds any of its aliases:
 * a lookup then visits each alias of a table at most once, and the work spent on the groups
 * (matching, and filters built per group) is bounded by the table's size, as if every group had
 * been checked to tile `sorted` (which verify checks).
 */
function useGroup(s: IndexSections, t: AliasTable, group: number, start: number, count: number): void {
  const checks = t.checks;
  const used = (checks.groupUsed ??= new Uint8Array(t.groups.length / GROUP_WORDS));
  if (used[group] !== 0) return;
  const held = (checks.positionHeld ??= new Uint8Array(t.sorted.length));
  for (let at = start; at < start + count; at++) {
    if (held[at] !== 0) throw s.corrupt(`alias table ${t.id} group ${group} shares aliases with another group`);
    held[at] = 1;
  }
  used[group] = 1;
}

/**
 * Counts the strings of record `i` (pattern, key, target) the first time it is read: the records
 * read may reference at most STRING_VOLUME_FACTOR times the table's bytes of strings, as every
 * table's records may (IndexSections), so that reading them is linear in the table's size.
 */
export function countRecordStrings(s: IndexSections, t: AliasTable, i: number): void {
  const checks = t.checks;
  const counted = (checks.recordCounted ??= new Uint8Array(t.records.length / ALIAS_WORDS));
  if (counted[i] !== 0) return;
  counted[i] = 1;
  const w = i * ALIAS_WORDS;
  const key = t.records[w + 3];
  checks.stringBytes += t.records[w + 1] + t.records[w + 5] + (key === NONE ? 0 : key);
  if (checks.stringBytes > STRING_VOLUME_FACTOR * t.bytes) s.checkStringTotal(`alias table ${Section[t.id] ?? t.id}`, checks.stringBytes, t.bytes);
}

/**
 * The rules a lookup checks only for what it reads, over the whole table (verify): the groups
 * cover `sorted` back to back, in order, as pack writes them, and the strings of every record and
 * group prefix add up to at most STRING_VOLUME_FACTOR times the table's bytes.
 */
function checkWholeAliasTable(s: IndexSections, t: AliasTable): void {
  const { groups, records, id } = t;
  let next = 0;
  let total = 0;
  for (let w = 0; w < groups.length; w += GROUP_WORDS) {
    if (groups[w + 2] !== next) throw s.corrupt(`alias table ${id} group ${w / GROUP_WORDS} starts at ${groups[w + 2]}, not at ${next} where the previous one ends`);
    next += groups[w + 3];
    total += groups[w + 1];
  }
  if (next > t.sorted.length) throw s.corrupt(`alias table ${id} groups hold ${next} aliases, more than its ${t.sorted.length}`);
  for (let w = 0; w < records.length; w += ALIAS_WORDS) {
    const key = records[w + 3];
    total += records[w + 1] + records[w + 5] + (key === NONE ? 0 : key);
  }
  s.checkStringTotal(`alias table ${Section[id] ?? id}`, total, t.bytes);
}

/**
 * Calls `visit` with every group of `t` whose literal prefix is a prefix of `query` (a byte
 * string: its char codes are its bytes, hashed and compared in place).
 */
export function forEachGroupIn(s: IndexSections, t: AliasTable, query: string, visit: (group: number, count: number) => void): void {
  const { hash: table, groups, strings } = t;
  const mask = table.length - 1;
  const groupCount = groups.length / GROUP_WORDS;
  const longest = Math.min(query.length, t.longestPrefix);
  let hash = FNV_OFFSET;
  for (let length = 0; length <= longest; length++) {
    if (length > 0) hash = fnvStep(hash, query.charCodeAt(length - 1));
    if (t.prefixLengths[length] === 0) continue;
    for (let slot = hash & mask, probes = 0; probes <= mask; slot = (slot + 1) & mask, probes++) {
      const entry = table[slot];
      if (entry === 0) break;
      const group = entry - 1;
      if (group >= groupCount) throw s.corrupt(`alias group number ${group} is out of range (< ${groupCount})`);
      const w = group * GROUP_WORDS;
      if (groups[w + 1] !== length) continue;
      const off = groups[w];
      if (off > strings.length || length > strings.length - off) throw s.corrupt(`string ${off}+${length} lies outside the string table`);
      let equal = true;
      for (let i = 0; i < length; i++) {
        if (strings[off + i] !== query.charCodeAt(i)) {
          equal = false;
          break;
        }
      }
      if (!equal) continue;
      s.span(groups[w + 2], groups[w + 3], t.sorted.length, "alias group");
      useGroup(s, t, group, groups[w + 2], groups[w + 3]);
      visit(t.groupBase + group, groups[w + 3]);
      break;
    }
  }
}

/**
 * Checks the whole of a table but its records (the caller reads each): the rules lookups check
 * only for what they read, and the sorted, groups and hash parts.
 */
export function validateAliasTableParts(s: IndexSections, t: AliasTable): void {
  checkWholeAliasTable(s, t);
  const aliasCount = t.records.length / ALIAS_WORDS;
  for (const v of t.sorted) s.below(v, aliasCount, "alias number");
  const groupCount = t.groups.length / GROUP_WORDS;
  for (let g = 0; g < groupCount; g++) {
    const w = g * GROUP_WORDS;
    s.string(t.strings, t.groups[w], t.groups[w + 1]);
    s.span(t.groups[w + 2], t.groups[w + 3], t.sorted.length, "alias group");
  }
  if (t.hash.length < groupCount) throw s.corrupt("alias hash table is smaller than its group count");
  for (const v of t.hash) if (v !== 0) s.below(v - 1, groupCount, "alias group number");
}
