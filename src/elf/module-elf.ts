import { Interner } from "../util/interner";
import { ElfFile, SHN_ABS, SHN_UNDEF, STB_WEAK } from "./elf-file";

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
    let stop = nameAt + skip;
    while (stop < end && d[stop] !== 0) stop++;
    return this.interner ? this.interner.fromBytes(d, nameAt + skip, stop) : d.toString("latin1", nameAt + skip, stop);
  }
}

/**
 * Exported symbols: the `__crc_<name>` entries of .symtab with their CRCs; without any, the names
 * in `__ksymtab_strings` with CRC 0 (kmod_elf_get_symbols).
 */
export function readExports(elf: ElfFile): ExportedSymbol[] {
  return exportsIn(elf, symbolTable(elf), undefined);
}

function exportsIn(elf: ElfFile, table: SymbolTable | undefined, interner: Interner | undefined): ExportedSymbol[] {
  const out: ExportedSymbol[] = [];
  if (table) {
    const symbols = new SymbolReader(elf, table, interner);
    const data = elf.data;
    const strEnd = table.strtabOffset + table.strtabSize;
    for (let i = 1; i < table.entries; i++) {
      const at = symbols.entryAt(i);
      const nameAt = symbols.nameAt(at);
      // "__crc_" compared on bytes: most symbols are not CRCs, and need no string.
      if (nameAt < 0 || nameAt + CRC_PREFIX.length > strEnd || data[nameAt] !== 0x5f || data[nameAt + 1] !== 0x5f || data[nameAt + 2] !== 0x63 ||
          data[nameAt + 3] !== 0x72 || data[nameAt + 4] !== 0x63 || data[nameAt + 5] !== 0x5f) continue;
      const name = symbols.name(nameAt, CRC_PREFIX.length);
      const value = elf.is64 ? elf.u64BigInt(at + 8) : BigInt(elf.u32(at + 4));
      out.push({ name, crc: resolveCrc(elf, value, symbols.shndx(at)) });
    }
    if (out.length > 0) return out;
  }
  const strings = elf.section("__ksymtab_strings");
  if (!strings) return out;
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
  return neededIn(elf, symbolTable(elf), undefined);
}

function neededIn(elf: ElfFile, table: SymbolTable | undefined, interner: Interner | undefined): NeededSymbol[] {
  if (!table) return [];
  const symbols = new SymbolReader(elf, table, interner);
  const data = elf.data;
  const out: NeededSymbol[] = [];
  for (let i = 1; i < table.entries; i++) {
    const at = symbols.entryAt(i);
    if (symbols.shndx(at) !== SHN_UNDEF) continue;
    const nameAt = symbols.nameAt(at);
    if (nameAt < 0 || data[nameAt] === 0) continue;
    out.push({ name: symbols.name(nameAt), weak: symbols.binding(at) === STB_WEAK });
  }
  return out;
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
    let stop = at + crcSize;
    while (stop < at + 64 && data[stop] !== 0) stop++;
    out.push(interner ? interner.fromBytes(data, at + crcSize, stop) : data.toString("latin1", at + crcSize, stop));
  }
  return out;
}

/**
 * What a module needs, as kmod_elf_get_dependency_symbols lists it: the undefined symbols in
 * .symtab order, then the `__versions` names no undefined symbol matched (module_layout, say).
 * Symbol names go through `interner` when one is given: a tree's modules share most of them.
 */
export function readModuleObject(elf: ElfFile, interner?: Interner): ModuleObject {
  const table = symbolTable(elf);
  const needed = neededIn(elf, table, interner);
  const versions = versionNames(elf, interner);
  if (versions.length > 0) {
    const named = new Set(needed.map((n) => n.name));
    for (const name of versions) {
      if (!named.has(name)) needed.push({ name, weak: false });
    }
  }
  return { modinfo: readModinfo(elf, interner), exports: exportsIn(elf, table, interner), needed };
}
