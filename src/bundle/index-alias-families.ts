import { IndexAlias } from "../index/types";
import { ALIAS_WORDS, AliasTable, GROUP_WORDS, countRecordStrings, encodeAliasTable, encodedGroupCount, forEachGroupIn, literalPrefixLength, readAliasTable, validateAliasTableParts } from "./index-alias-table";
import { IndexSections, NONE, Section } from "./index-sections";
import { byteCompare, words } from "./index-strings";

/**
 * The aliases: the builtin modules' in BUILTIN_ALIAS_TABLE, the modules' split into families, each
 * family a packed alias table (bundle/index-alias-table.ts) in section FIRST_ALIAS_FAMILY + k, so
 * that a query reads only the few families whose aliases can match it.
 *
 *   ALIAS_FAMILIES   per family its section, key length, key (up to FAMILY_KEY_MAX bytes), and
 *                    alias and group number ranges (10 words). A family with a key holds the
 *                    aliases whose key's literal prefix starts with it and with no longer family
 *                    key; a query reads every family whose key starts it. The key "" holds the
 *                    aliases whose literal prefix is shorter than FAMILY_KEY_LENGTH, and is read
 *                    by every query. The others' family (key length OTHERS_FAMILY) holds the rest:
 *                    literal prefixes of FAMILY_KEY_LENGTH bytes or more that start with no
 *                    family key (and invalid patterns); a query reads it only when it is that long
 *                    and no family key of FAMILY_KEY_LENGTH bytes starts it.
 *   ALIAS_ORDER      per alias in depmod order, its number in the families' numbering
 *
 * pack keys a family by each FAMILY_KEY_LENGTH-byte prefix that FAMILY_MIN_ALIASES aliases share,
 * and splits a family of more than FAMILY_SPLIT_ALIASES by longer keys (pci's by vendor: a PCI
 * modalias then reads its vendor's family and the rest of pci's, not all of pci's). Alias and
 * group numbers run through the families in their order: family k's aliases are numbered from the
 * sum of the counts of the families before it.
 */
const FAMILY_KEY_LENGTH = 4;
const FAMILY_KEY_MAX = 16;
const FAMILY_MIN_ALIASES = 256;
const FAMILY_SPLIT_ALIASES = 2048;
const MAX_KEYED_FAMILIES = 31;
/** The most families pack makes (sections FIRST_ALIAS_FAMILY + k must fit MAX_SECTIONS). */
const MAX_FAMILIES = 40;
const FAMILY_WORDS = 10;
/** The key length word of the others' family. */
const OTHERS_FAMILY = 0xffffffff;
/** Sections FIRST_ALIAS_FAMILY + k for k below this are family tables. */
const MAX_FAMILY_SECTIONS = 64;

export const ALIAS_RECORD_WORDS: Partial<Record<Section, number>> = {
  [Section.AliasFamilies]: FAMILY_WORDS,
  [Section.AliasOrder]: 1,
};

/** The prefixes of `length` bytes that at least FAMILY_MIN_ALIASES of `prefixes` share, with their counts. */
function sharedPrefixes(prefixes: readonly string[], length: number): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const prefix of prefixes) if (prefix.length >= length) counts.set(prefix.slice(0, length), (counts.get(prefix.slice(0, length)) ?? 0) + 1);
  return [...counts].filter(([, count]) => count >= FAMILY_MIN_ALIASES);
}

/**
 * Longer keys splitting a large family (its aliases' literal prefixes, all starting with its key):
 * of one length, the one that makes the most a query reads least (the family's remainder and its
 * largest part), or none when splitting does not help.
 */
function splitKeys(prefixes: readonly string[], keyLength: number): string[] {
  let best: { cost: number; keys: string[] } = { cost: prefixes.length, keys: [] };
  for (let length = keyLength + 1; length <= FAMILY_KEY_MAX; length++) {
    const parts = sharedPrefixes(prefixes, length);
    const covered = parts.reduce((sum, [, count]) => sum + count, 0);
    const cost = prefixes.length - covered + Math.max(0, ...parts.map(([, count]) => count));
    if (cost < best.cost) best = { cost, keys: parts.map(([key]) => key) };
  }
  return best.keys;
}

type FamilyKey = string | typeof OTHERS_FAMILY;

/** The aliases split into families (see above): the key "" first, then the others, then the keyed ones by bytes. */
function aliasFamilies(aliases: readonly IndexAlias[]): Array<{ key: FamilyKey; members: number[] }> {
  const prefixes = aliases.map((alias) => (alias.key === undefined ? undefined : alias.key.slice(0, literalPrefixLength(alias.key))));
  const valid = prefixes.filter((prefix): prefix is string => prefix !== undefined);
  const top = sharedPrefixes(valid, FAMILY_KEY_LENGTH)
    .sort((a, b) => b[1] - a[1] || byteCompare(a[0], b[0]))
    .slice(0, MAX_KEYED_FAMILIES)
    .map(([key]) => key);
  const keys = [...top];
  for (const key of top) {
    const members = valid.filter((prefix) => prefix.startsWith(key));
    if (members.length > FAMILY_SPLIT_ALIASES) keys.push(...splitKeys(members, key.length).slice(0, Math.max(0, MAX_FAMILIES - 2 - keys.length)));
  }
  keys.sort(byteCompare);
  const families: Array<{ key: FamilyKey; members: number[] }> = [{ key: "", members: [] }, { key: OTHERS_FAMILY, members: [] }, ...keys.map((key) => ({ key, members: [] as number[] }))];
  prefixes.forEach((prefix, i) => {
    let family = 1;
    if (prefix !== undefined && prefix.length < FAMILY_KEY_LENGTH) family = 0;
    else if (prefix !== undefined) {
      // The longest family key starting the prefix.
      for (let k = 2; k < families.length; k++) {
        const key = families[k].key as string;
        if (prefix.startsWith(key) && (family === 1 || key.length > (families[family].key as string).length)) family = k;
      }
    }
    families[family].members.push(i);
  });
  return families;
}

/** ALIAS_FAMILIES and ALIAS_ORDER, then BUILTIN_ALIAS_TABLE and the families' tables. */
export function encodeAliases(aliases: readonly IndexAlias[], builtinAliases: readonly IndexAlias[]): Array<[Section, Buffer]> {
  const families = aliasFamilies(aliases);
  const familyTables = families.map((family) => encodeAliasTable(family.members.map((i) => aliases[i])));
  const familyWords: number[] = [];
  const aliasOrder = new Array<number>(aliases.length);
  let aliasBase = 0;
  let groupBase = 0;
  families.forEach((family, k) => {
    const keyBytes = Buffer.alloc(FAMILY_KEY_MAX);
    if (family.key !== OTHERS_FAMILY) keyBytes.write(family.key, "latin1");
    const keyWords = Array.from({ length: FAMILY_KEY_MAX / 4 }, (_, w) => keyBytes.readUInt32LE(w * 4));
    const groupCount = encodedGroupCount(familyTables[k]);
    familyWords.push(Section.FirstAliasFamily + k, family.key === OTHERS_FAMILY ? OTHERS_FAMILY : family.key.length, ...keyWords, aliasBase, family.members.length, groupBase, groupCount);
    family.members.forEach((original, local) => (aliasOrder[original] = aliasBase + local));
    aliasBase += family.members.length;
    groupBase += groupCount;
  });
  return [
    [Section.AliasFamilies, words(familyWords)],
    [Section.AliasOrder, words(aliasOrder)],
    [Section.BuiltinAliasTable, encodeAliasTable(builtinAliases)],
    ...familyTables.map((table, k): [Section, Buffer] => [Section.FirstAliasFamily + k, table]),
  ];
}

interface AliasFamily {
  readonly section: Section;
  /** The family key (see above): OTHERS_FAMILY for the others' family. */
  readonly key: FamilyKey;
  readonly aliasBase: number;
  readonly aliasCount: number;
  readonly groupBase: number;
  readonly groupCount: number;
}

/** Reads the alias tables; `moduleCount` bounds the module numbers aliases name. */
export class AliasTables {
  private readonly tables = new Map<Section, AliasTable>();
  private familyList?: AliasFamily[];
  /** The table last found by tableOf: consecutive calls mostly ask about the same one. */
  private lastTable?: AliasTable;

  constructor(
    private readonly s: IndexSections,
    private readonly moduleCount: () => number,
  ) {}

  /** The regular aliases' families, from ALIAS_FAMILIES, with their number ranges checked. */
  private get families(): AliasFamily[] {
    if (!this.familyList) {
      const f = this.s.table(Section.AliasFamilies);
      const families: AliasFamily[] = [];
      let aliasBase = 0;
      let groupBase = 0;
      for (let w = 0; w < f.length; w += FAMILY_WORDS) {
        const keyLength = f[w + 1];
        const k = w / FAMILY_WORDS;
        // Family k is section FIRST_ALIAS_FAMILY + k: no two families share a table, and there
        // are at most MAX_FAMILY_SECTIONS, so a query searches each table at most once.
        if (k >= MAX_FAMILY_SECTIONS || f[w] !== Section.FirstAliasFamily + k) throw this.s.corrupt(`alias family ${k} names section ${f[w]}, not ${Section.FirstAliasFamily + k}`);
        if (keyLength > FAMILY_KEY_MAX && keyLength !== OTHERS_FAMILY) throw this.s.corrupt(`alias family ${k} is malformed`);
        if (f[w + 6] !== aliasBase || f[w + 8] !== groupBase) throw this.s.corrupt(`alias family ${k} does not continue the numbering`);
        let key: FamilyKey = OTHERS_FAMILY;
        if (keyLength !== OTHERS_FAMILY) {
          // The key's bytes, little-endian in the words (which are in host order).
          key = "";
          for (let i = 0; i < keyLength; i++) key += String.fromCharCode((f[w + 2 + (i >> 2)] >>> ((i & 3) * 8)) & 0xff);
        }
        families.push({ section: f[w], key, aliasBase, aliasCount: f[w + 7], groupBase, groupCount: f[w + 9] });
        aliasBase += f[w + 7];
        groupBase += f[w + 9];
      }
      this.familyList = families;
    }
    return this.familyList;
  }

  private builtinTable(): AliasTable {
    return this.load(Section.BuiltinAliasTable, 0, 0);
  }

  private load(id: Section, aliasBase: number, groupBase: number): AliasTable {
    let table = this.tables.get(id);
    if (!table) {
      table = readAliasTable(this.s, id, aliasBase, groupBase);
      this.tables.set(id, table);
    }
    return table;
  }

  /** The tables a query must search: the families whose aliases can match it (see above). */
  private tablesFor(builtin: boolean, query: string): AliasTable[] {
    if (builtin) return [this.builtinTable()];
    const families = this.families;
    let others = query.length >= FAMILY_KEY_LENGTH;
    for (const family of families) if (family.key !== OTHERS_FAMILY && family.key.length === FAMILY_KEY_LENGTH && query.startsWith(family.key)) others = false;
    const tables: AliasTable[] = [];
    for (const family of families) {
      if (family.key === OTHERS_FAMILY ? others : query.startsWith(family.key)) tables.push(this.familyTable(family));
    }
    return tables;
  }

  private familyTable(family: AliasFamily): AliasTable {
    let table = this.tables.get(family.section);
    if (!table) {
      table = this.load(family.section, family.aliasBase, family.groupBase);
      if (table.records.length / ALIAS_WORDS !== family.aliasCount || table.groups.length / GROUP_WORDS !== family.groupCount) {
        throw this.s.corrupt(`alias family in section ${family.section} disagrees with ALIAS_FAMILIES`);
      }
    }
    return table;
  }

  /** The table holding alias number `number` (or, with `group`, group number `number`). */
  private tableOf(builtin: boolean, number: number, group = false): AliasTable {
    if (builtin) return this.builtinTable();
    const last = this.lastTable;
    if (last) {
      const [base, count] = group ? [last.groupBase, last.groups.length / GROUP_WORDS] : [last.aliasBase, last.records.length / ALIAS_WORDS];
      if (number >= base && number - base < count) return last;
    }
    for (const family of this.families) {
      const [base, count] = group ? [family.groupBase, family.groupCount] : [family.aliasBase, family.aliasCount];
      if (number >= base && number - base < count) return (this.lastTable = this.familyTable(family));
    }
    throw this.s.corrupt(`${group ? "alias group" : "alias number"} ${number} is out of range`);
  }

  /**
   * Calls `visit` with every group of aliases whose keys' literal prefix (the text before the
   * first '*', '?' or '[') is a prefix of `query`: the only aliases that can match it. A group is
   * identified by its number and holds `count` aliases, read with groupAlias().
   */
  forEachAliasGroup(builtin: boolean, query: string, visit: (group: number, count: number) => void): void {
    for (const table of this.tablesFor(builtin, query)) forEachGroupIn(this.s, table, query, visit);
  }

  /** The alias number of the `k`th member of a group (see forEachAliasGroup). */
  groupAlias(builtin: boolean, group: number, k: number): number {
    const t = this.tableOf(builtin, group, true);
    const w = (group - t.groupBase) * GROUP_WORDS;
    return t.aliasBase + this.s.below(t.sorted[t.groups[w + 2] + this.s.below(k, t.groups[w + 3], "alias group member")], t.records.length / ALIAS_WORDS, "alias number");
  }

  /** An alias's lookup key (its normalised pattern). */
  aliasKey(builtin: boolean, alias: number): string {
    const t = this.tableOf(builtin, alias);
    const i = alias - t.aliasBase;
    countRecordStrings(this.s, t, i);
    return this.s.string(t.strings, t.records[i * ALIAS_WORDS + 2], t.records[i * ALIAS_WORDS + 3]);
  }

  /** An alias's target module name and priority (its module number; 0 for builtin aliases). */
  aliasTarget(builtin: boolean, alias: number): { readonly target: string; readonly priority: number } {
    const t = this.tableOf(builtin, alias);
    countRecordStrings(this.s, t, alias - t.aliasBase);
    const w = (alias - t.aliasBase) * ALIAS_WORDS;
    const module = t.records[w + 6];
    return { target: this.s.string(t.strings, t.records[w + 4], t.records[w + 5]), priority: module === NONE ? 0 : this.s.below(module, this.moduleCount(), "alias module") };
  }

  aliasCount(builtin: boolean): number {
    if (builtin) return this.builtinTable().records.length / ALIAS_WORDS;
    const families = this.families;
    return families.length === 0 ? 0 : families[families.length - 1].aliasBase + families[families.length - 1].aliasCount;
  }

  /** Alias number `alias` (numbers run through the families; see aliasOrder). */
  alias(builtin: boolean, alias: number): IndexAlias {
    const t = this.tableOf(builtin, alias);
    countRecordStrings(this.s, t, alias - t.aliasBase);
    const r = t.records;
    const w = (alias - t.aliasBase) * ALIAS_WORDS;
    return {
      pattern: this.s.string(t.strings, r[w], r[w + 1]),
      key: r[w + 3] === NONE ? undefined : this.s.string(t.strings, r[w + 2], r[w + 3]),
      target: this.s.string(t.strings, r[w + 4], r[w + 5]),
      module: r[w + 6] === NONE ? -1 : this.s.below(r[w + 6], this.moduleCount(), "alias module"),
    };
  }

  /** ALIAS_ORDER, checked against the families' alias count. */
  aliasOrder(): Uint32Array {
    const order = this.s.table(Section.AliasOrder);
    if (order.length !== this.aliasCount(false)) throw this.s.corrupt("ALIAS_ORDER and the alias families differ in size");
    // A permutation: each alias appears once, so the lists built from it are as long as the index.
    const seen = new Uint8Array(order.length);
    for (const alias of order) {
      this.s.below(alias, order.length, "ALIAS_ORDER entry");
      if (seen[alias]++ !== 0) throw this.s.corrupt(`alias ${alias} appears twice in ALIAS_ORDER`);
    }
    return order;
  }

  /** Every alias: the modules' in depmod order (through `order`, see aliasOrder), or the builtin ones. */
  aliasList(builtin: boolean, order: Uint32Array): IndexAlias[] {
    return Array.from({ length: this.aliasCount(builtin) }, (_, i) => this.alias(builtin, builtin ? i : order[i]));
  }

  /** Checks every table at once (verify). */
  validate(): void {
    const tables = [this.builtinTable(), ...this.families.map((family) => this.familyTable(family))];
    for (const t of tables) {
      const builtin = t === tables[0];
      validateAliasTableParts(this.s, t);
      const aliasCount = t.records.length / ALIAS_WORDS;
      for (let i = 0; i < aliasCount; i++) this.alias(builtin, t.aliasBase + i);
    }
  }
}
