import { IdMarks, Interner } from "../util/interner";
import { ElfFile, SHN_ABS, SHN_UNDEF, STB_WEAK } from "./elf-file";
import { HOST_LITTLE_ENDIAN } from "../util/host-endian";

/**
 * What depmod and modinfo read from a module object, extracted as libkmod-elf.c does. Strings
 * are byte strings (latin1), so that any byte a module carries survives unchanged into the index
 * and back out.
 */
export interface ModinfoEntry {
  readonly key: string;
  /** The text after the first '='; null for an entry without '='. */
  readonly value: string | null;
}

export interface ExportedSymbol {
  readonly name: string;
  readonly crc: bigint;
}

export interface NeededSymbol {
  readonly name: string;
  readonly weak: boolean;
}

export interface ModuleObject {
  readonly modinfo: readonly ModinfoEntry[];
  readonly exports: readonly ExportedSymbol[];
  readonly needed: readonly NeededSymbol[];
}

const CRC_PREFIX = "__crc_";

/**
 * `.modinfo` split on NUL, empty strings skipped, each split at its first '='. Keys go through
 * `interner` when one is given (a tree's modules use a few dozen). The bytes are walked here
 * rather than searched natively: entries are short, and a native call each costs more.
 */
export function readModinfo(elf: ElfFile, interner?: Interner): ModinfoEntry[] {
  const section = elf.section(".modinfo");
  if (!section) return [];
  const data = elf.data;
  const end = section.offset + section.size;
  const out: ModinfoEntry[] = [];
  for (let start = section.offset; start < end; ) {
    let stop = start;
    let eq = -1;
    for (; stop < end && data[stop] !== 0; stop++) if (eq < 0 && data[stop] === 0x3d) eq = stop;
    if (stop > start) {
      const keyEnd = eq < 0 ? stop : eq;
      const key = interner ? interner.fromBytes(data, start, keyEnd) : data.toString("latin1", start, keyEnd);
      out.push({ key, value: eq < 0 ? null : data.toString("latin1", eq + 1, stop) });
    }
    start = stop + 1;
  }
  return out;
}

export function splitStrings(data: Buffer): string[] {
  const out: string[] = [];
  for (let start = 0; start < data.length; ) {
    let end = start;
    while (end < data.length && data[end] !== 0) end++;
    if (end > start) out.push(data.toString("latin1", start, end));
    start = end + 1;
  }
  return out;
}

interface SymbolTable {
  readonly entries: number;
  readonly entrySize: number;
  readonly symtabOffset: number;
  readonly strtabOffset: number;
  readonly strtabSize: number;
}

function symbolTable(elf: ElfFile): SymbolTable | undefined {
  const symtab = elf.section(".symtab");
  const strtab = elf.section(".strtab");
  if (!symtab || !strtab) return undefined;
  const entrySize = elf.is64 ? 24 : 16;
  return {
    entries: Math.floor(symtab.size / entrySize),
    entrySize,
    symtabOffset: symtab.offset,
    strtabOffset: strtab.offset,
    strtabSize: strtab.size,
  };
}

/**
 * The fields of symbol `i` the readers below need, read straight from the bytes: ElfFile has
 * checked that both tables lie inside the file, and `entries` keeps every symbol inside .symtab,
 * so the hundreds of thousands of symbols of a tree need no range check each (a name offset
 * still does: it comes from the symbol).
 */
class SymbolReader {
  private readonly data: Buffer;
  private readonly le: boolean;
  private readonly is64: boolean;

  constructor(
    elf: ElfFile,
    readonly table: SymbolTable,
    private readonly interner: Interner | undefined,
  ) {
    this.data = elf.data;
    this.le = elf.littleEndian;
    this.is64 = elf.is64;
  }

  private u16(at: number): number {
    const d = this.data;
    return this.le ? d[at] | (d[at + 1] << 8) : (d[at] << 8) | d[at + 1];
  }

  private u32(at: number): number {
    const d = this.data;
    return (this.le ? d[at] | (d[at + 1] << 8) | (d[at + 2] << 16) | (d[at + 3] << 24) : (d[at] << 24) | (d[at + 1] << 16) | (d[at + 2] << 8) | d[at + 3]) >>> 0;
  }

  entryAt(i: number): number {
    return this.table.symtabOffset + i * this.table.entrySize;
  }

  /** The section index (st_shndx). */
  shndx(at: number): number {
    return this.u16(at + (this.is64 ? 6 : 14));
  }

  /** The binding (st_info >> 4). */
  binding(at: number): number {
    return this.data[at + (this.is64 ? 4 : 12)] >> 4;
  }

  /** Where the symbol's name starts in the file, or -1 when its offset lies outside .strtab. */
  nameAt(at: number): number {
    const offset = this.u32(at);
    return offset < this.table.strtabSize ? this.table.strtabOffset + offset : -1;
  }

  /** The name starting at `nameAt`, up to its NUL or the end of .strtab. */
  name(nameAt: number, skip = 0): string {
    const d = this.data;
    const end = this.table.strtabOffset + this.table.strtabSize;
    if (this.interner) return this.interner.fromTerminated(d, nameAt + skip, end);
    let stop = nameAt + skip;
    while (stop < end && d[stop] !== 0) stop++;
    return d.toString("latin1", nameAt + skip, stop);
  }
}

/**
 * One pass over .symtab (kmod makes one for each list; both are in table order): the numbers in
 * `interner` of the undefined symbols' names into `needed` when given, with their weak binding
 * into `weak` when given, and where the `__crc_<name>` entries are into `crcs`.
 */
function symbolPass(elf: ElfFile, table: SymbolTable, interner: Interner, needed: number[] | undefined, weak: boolean[] | undefined, crcs: number[]): void {
  const words = symbolWords(elf, table);
  if (words !== undefined) {
    symbolPassWords(elf.data, words, table, interner, needed, weak, crcs);
    return;
  }
  const symbols = new SymbolReader(elf, table, interner);
  const data = elf.data;
  const strEnd = table.strtabOffset + table.strtabSize;
  for (let i = 1; i < table.entries; i++) {
    const at = symbols.entryAt(i);
    const nameAt = symbols.nameAt(at);
    if (nameAt < 0) continue;
    if (needed !== undefined && symbols.shndx(at) === SHN_UNDEF && data[nameAt] !== 0) {
      needed.push(interner.idFromTerminated(data, nameAt, strEnd));
      weak?.push(symbols.binding(at) === STB_WEAK);
    }
    // "__crc_" compared on bytes: most symbols are not CRCs, and need no string.
    if (nameAt + CRC_PREFIX.length <= strEnd && data[nameAt] === 0x5f && data[nameAt + 1] === 0x5f && data[nameAt + 2] === 0x63 &&
        data[nameAt + 3] === 0x72 && data[nameAt + 4] === 0x63 && data[nameAt + 5] === 0x5f) crcs.push(at);
  }
}

/** Words per ELF64 symbol (24 bytes): st_name; st_info, st_other and st_shndx; st_value; st_size. */
const SYMBOL_WORDS = 6;

/**
 * .symtab as 32-bit words, for an ELF64 object in the host's byte order whose table lies on a
 * 4-byte boundary in memory (every module of an x86-64 or arm64 tree, read by ReusableReader);
 * undefined otherwise. Two word reads a symbol instead of six byte reads: a tree has
 * some 800,000 symbols.
 */
function symbolWords(elf: ElfFile, table: SymbolTable): Int32Array | undefined {
  if (!elf.is64 || elf.littleEndian !== HOST_LITTLE_ENDIAN) return undefined;
  const start = elf.data.byteOffset + table.symtabOffset;
  if (start % 4 !== 0) return undefined;
  return new Int32Array(elf.data.buffer, start, table.entries * SYMBOL_WORDS);
}

/** symbolPass over symbolWords' view of the table. */
function symbolPassWords(data: Buffer, words: Int32Array, table: SymbolTable, interner: Interner, needed: number[] | undefined, weak: boolean[] | undefined, crcs: number[]): void {
  const { entries, strtabOffset, strtabSize, symtabOffset } = table;
  const strEnd = strtabOffset + strtabSize;
  for (let i = 1; i < entries; i++) {
    const w = i * SYMBOL_WORDS;
    // Read signed, which keeps the numbers small integers: an offset of 2^31 or more (negative
    // here) lies outside any .strtab a buffer can hold.
    const offset = words[w];
    if (offset < 0 || offset >= strtabSize) continue;
    const nameAt = strtabOffset + offset;
    // st_info is the low byte of the second word, st_shndx its high half.
    const info = words[w + 1];
    if (needed !== undefined && info >>> 16 === SHN_UNDEF && data[nameAt] !== 0) {
      needed.push(interner.idFromTerminated(data, nameAt, strEnd));
      weak?.push((info & 0xff) >> 4 === STB_WEAK);
    }
    if (nameAt + CRC_PREFIX.length <= strEnd && data[nameAt] === 0x5f && data[nameAt + 1] === 0x5f && data[nameAt + 2] === 0x63 &&
        data[nameAt + 3] === 0x72 && data[nameAt + 4] === 0x63 && data[nameAt + 5] === 0x5f) crcs.push(symtabOffset + i * 24);
  }
}

/** The names of `interner`'s numbers `ids`. */
function namesOf(interner: Interner, ids: readonly number[]): string[] {
  const names = new Array<string>(ids.length);
  for (let k = 0; k < ids.length; k++) names[k] = interner.nameOf(ids[k]);
  return names;
}

/**
 * Exported symbols: the `__crc_<name>` entries of .symtab with their CRCs; without any, the names
 * in `__ksymtab_strings` with CRC 0 (kmod_elf_get_symbols).
 */
export function readExports(elf: ElfFile): ExportedSymbol[] {
  const table = symbolTable(elf);
  const crcs: number[] = [];
  if (table) symbolPass(elf, table, new Interner(), undefined, undefined, crcs);
  return exportsOf(elf, table, undefined, crcs);
}

/** The exports from symbolPass's `crcs`, or from `__ksymtab_strings` when there are none. */
function exportsOf(elf: ElfFile, table: SymbolTable | undefined, interner: Interner | undefined, crcs: readonly number[]): ExportedSymbol[] {
  if (table && crcs.length > 0) {
    const symbols = new SymbolReader(elf, table, interner);
    return crcs.map((at) => {
      const value = elf.is64 ? elf.u64BigInt(at + 8) : BigInt(elf.u32(at + 4));
      return { name: symbols.name(symbols.nameAt(at), CRC_PREFIX.length), crc: resolveCrc(elf, value, symbols.shndx(at)) };
    });
  }
  const strings = elf.section("__ksymtab_strings");
  if (!strings) return [];
  return splitStrings(elf.contents(strings)).map((name) => ({ name, crc: 0n }));
}

/**
 * A CRC symbol's value is the CRC itself when absolute; in a relocatable object it is the offset
 * of a 32-bit CRC inside the section the symbol belongs to (kmod_elf_resolve_crc).
 */
function resolveCrc(elf: ElfFile, value: bigint, shndx: number): bigint {
  if (shndx === SHN_ABS || shndx === SHN_UNDEF) return value;
  const section = elf.sectionAt(shndx);
  if (!section || value > BigInt(section.size) || BigInt(section.size) - value < 4n) return value;
  return BigInt(elf.u32(section.offset + Number(value)));
}

/** Undefined symbols of .symtab, in table order, with weak binding kept (the module's needs). */
export function readNeeded(elf: ElfFile): NeededSymbol[] {
  const table = symbolTable(elf);
  const interner = new Interner();
  const ids: number[] = [];
  const weak: boolean[] = [];
  if (table) symbolPass(elf, table, interner, ids, weak, []);
  return ids.map((id, k) => ({ name: interner.nameOf(id), weak: weak[k] }));
}

export interface VersionEntry {
  readonly name: string;
  readonly crc: bigint;
}

/**
 * `__versions`: 64-byte entries, a CRC (4 bytes in ELF32, 8 in ELF64, file byte order) and a
 * NUL-padded name. A section whose size is not a multiple of 64 is ignored, as kmod does.
 */
export function readVersions(elf: ElfFile): VersionEntry[] {
  const section = elf.section("__versions");
  if (!section || section.size % 64 !== 0) return [];
  const crcSize = elf.is64 ? 8 : 4;
  const out: VersionEntry[] = [];
  for (let at = section.offset; at < section.offset + section.size; at += 64) {
    const crc = elf.is64 ? elf.u64BigInt(at) : BigInt(elf.u32(at));
    out.push({ name: elf.cString(at + crcSize, at + 64), crc });
  }
  return out;
}

/** The names of `__versions` (what depmod needs of it: the CRCs are the kernel's to check). */
function versionNames(elf: ElfFile, interner: Interner | undefined): string[] {
  const section = elf.section("__versions");
  if (!section || section.size % 64 !== 0) return [];
  const data = elf.data;
  const crcSize = elf.is64 ? 8 : 4;
  const out: string[] = [];
  for (let at = section.offset; at < section.offset + section.size; at += 64) {
    if (interner) {
      out.push(interner.fromTerminated(data, at + crcSize, at + 64));
      continue;
    }
    let stop = at + crcSize;
    while (stop < at + 64 && data[stop] !== 0) stop++;
    out.push(data.toString("latin1", at + crcSize, stop));
  }
  return out;
}

/**
 * What a module needs, as kmod_elf_get_dependency_symbols lists it: the undefined symbols in
 * .symtab order, then the `__versions` names no undefined symbol matched (module_layout, say).
 * Symbol names go through `interner` when one is given: a tree's modules share most of them.
 */
export function readModuleObject(elf: ElfFile, interner: Interner = new Interner()): ModuleObject {
  const table = symbolTable(elf);
  const ids: number[] = [];
  const weak: boolean[] = [];
  const crcs: number[] = [];
  if (table) symbolPass(elf, table, interner, ids, weak, crcs);
  const names = namesOf(interner, ids);
  const needed: NeededSymbol[] = names.map((name, k) => ({ name, weak: weak[k] }));
  const versions = versionNames(elf, interner);
  if (versions.length > 0) {
    const named = new Set(names);
    for (const name of versions) {
      if (!named.has(name)) needed.push({ name, weak: false });
    }
  }
  return { modinfo: readModinfo(elf, interner), exports: exportsOf(elf, table, interner, crcs), needed };
}

/**
 * What depmod takes from a module (its view of readModuleObject's: names only, and of .modinfo
 * the values it indexes), read with nothing else made: a tree's modules name some 400,000
 * symbols, and an object for each, dropped at once, kept the garbage collector busy.
 */
export interface ModuleLinkage {
  /** Names of the symbols it exports (readModuleObject's exports). */
  readonly exports: readonly string[];
  /** Names of the symbols it needs (readModuleObject's needed). */
  readonly needed: readonly string[];
  /** Values of its alias=, softdep= and weakdep= .modinfo fields, in order. */
  readonly aliases: readonly string[];
  readonly softdeps: readonly string[];
  readonly weakdeps: readonly string[];
}

export const NO_LINKAGE: ModuleLinkage = { exports: [], needed: [], aliases: [], softdeps: [], weakdeps: [] };

/**
 * Which needed names __versions repeats: marked by their numbers in the interner, round by round
 * (a Map of names, or a Set made for each module, was most of the garbage this reader made).
 * Both are kept from module to module, as is the list of needed names' numbers.
 */
const neededMarks = new IdMarks();
const neededIds: number[] = [];

export function readModuleLinkage(elf: ElfFile, interner: Interner = new Interner()): ModuleLinkage {
  const table = symbolTable(elf);
  const ids = neededIds;
  ids.length = 0;
  const crcs: number[] = [];
  if (table) symbolPass(elf, table, interner, ids, undefined, crcs);
  const versions = elf.section("__versions");
  if (versions && versions.size % 64 === 0 && versions.size > 0) {
    neededMarks.next();
    const fromSymbols = ids.length;
    for (let k = 0; k < fromSymbols; k++) neededMarks.mark(ids[k]);
    const data = elf.data;
    const crcSize = elf.is64 ? 8 : 4;
    const end = versions.offset + versions.size;
    for (let at = versions.offset; at < end; at += 64) {
      const id = interner.idFromTerminated(data, at + crcSize, at + 64);
      if (!neededMarks.has(id)) ids.push(id);
    }
  }
  const needed = namesOf(interner, ids);
  let exports: string[];
  if (table && crcs.length > 0) {
    const symbols = new SymbolReader(elf, table, interner);
    exports = crcs.map((at) => symbols.name(symbols.nameAt(at), CRC_PREFIX.length));
  } else {
    const strings = elf.section("__ksymtab_strings");
    exports = strings ? splitStrings(elf.contents(strings)) : [];
  }
  const aliases: string[] = [];
  const softdeps: string[] = [];
  const weakdeps: string[] = [];
  modinfoValues(elf, aliases, softdeps, weakdeps);
  return { exports, needed, aliases, softdeps, weakdeps };
}

/**
 * The values of .modinfo's alias=, softdep= and weakdep= entries (readModinfo's split, with only
 * these keys' values made into strings).
 */
function modinfoValues(elf: ElfFile, aliases: string[], softdeps: string[], weakdeps: string[]): void {
  const section = elf.section(".modinfo");
  if (!section) return;
  const data = elf.data;
  const end = section.offset + section.size;
  for (let start = section.offset; start < end; ) {
    let stop = start;
    let eq = -1;
    for (; stop < end && data[stop] !== 0; stop++) if (eq < 0 && data[stop] === 0x3d) eq = stop;
    if (eq >= 0) {
      const into = keyIs(data, start, eq, "alias") ? aliases : keyIs(data, start, eq, "softdep") ? softdeps : keyIs(data, start, eq, "weakdep") ? weakdeps : undefined;
      if (into) into.push(data.toString("latin1", eq + 1, stop));
    }
    start = stop + 1;
  }
}

function keyIs(data: Buffer, start: number, end: number, key: string): boolean {
  if (end - start !== key.length) return false;
  for (let k = 0; k < key.length; k++) if (data[start + k] !== key.charCodeAt(k)) return false;
  return true;
}
