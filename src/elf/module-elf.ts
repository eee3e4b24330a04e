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

/** `.modinfo` split on NUL, empty strings skipped, each split at its first '='. */
export function readModinfo(elf: ElfFile): ModinfoEntry[] {
  const section = elf.section(".modinfo");
  if (!section) return [];
  return splitStrings(elf.contents(section)).map((entry) => {
    const eq = entry.indexOf("=");
    return eq < 0 ? { key: entry, value: null } : { key: entry.slice(0, eq), value: entry.slice(eq + 1) };
  });
}

export function splitStrings(data: Buffer): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf(0, start);
    if (end < 0) end = data.length;
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
 * Exported symbols: the `__crc_<name>` entries of .symtab with their CRCs; without any, the names
 * in `__ksymtab_strings` with CRC 0 (kmod_elf_get_symbols).
 */
export function readExports(elf: ElfFile): ExportedSymbol[] {
  const table = symbolTable(elf);
  const out: ExportedSymbol[] = [];
  if (table) {
    const data = elf.data;
    const strEnd = table.strtabOffset + table.strtabSize;
    for (let i = 1; i < table.entries; i++) {
      const at = table.symtabOffset + i * table.entrySize;
      const nameOffset = elf.u32(at);
      if (nameOffset >= table.strtabSize) continue;
      const nameAt = table.strtabOffset + nameOffset;
      // "__crc_" compared on bytes before any string is made: most symbols are not CRCs.
      if (data[nameAt] !== 0x5f || data[nameAt + 1] !== 0x5f || data[nameAt + 2] !== 0x63 ||
          data.toString("latin1", nameAt, Math.min(nameAt + 6, strEnd)) !== CRC_PREFIX) continue;
      const name = elf.cString(nameAt + CRC_PREFIX.length, strEnd);
      const value = elf.is64 ? elf.u64BigInt(at + 8) : BigInt(elf.u32(at + 4));
      const shndx = elf.u16(at + (elf.is64 ? 6 : 14));
      out.push({ name, crc: resolveCrc(elf, value, shndx) });
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
  const table = symbolTable(elf);
  if (!table) return [];
  const out: NeededSymbol[] = [];
  const strEnd = table.strtabOffset + table.strtabSize;
  const shndxAt = elf.is64 ? 6 : 14;
  const infoAt = elf.is64 ? 4 : 12;
  for (let i = 1; i < table.entries; i++) {
    const at = table.symtabOffset + i * table.entrySize;
    if (elf.u16(at + shndxAt) !== SHN_UNDEF) continue;
    const nameOffset = elf.u32(at);
    if (nameOffset >= table.strtabSize) continue;
    const name = elf.cString(table.strtabOffset + nameOffset, strEnd);
    if (name === "") continue;
    out.push({ name, weak: elf.data[at + infoAt] >> 4 === STB_WEAK });
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

/**
 * What a module needs, as kmod_elf_get_dependency_symbols lists it: the undefined symbols in
 * .symtab order, then the `__versions` names no undefined symbol matched (module_layout, say).
 */
export function readModuleObject(elf: ElfFile): ModuleObject {
  const needed = readNeeded(elf);
  const versions = readVersions(elf);
  if (versions.length > 0) {
    const named = new Set(needed.map((n) => n.name));
    for (const version of versions) {
      if (!named.has(version.name)) needed.push({ name: version.name, weak: false });
    }
  }
  return { modinfo: readModinfo(elf), exports: readExports(elf), needed };
}
