/**
 * Builds ELF relocatable objects shaped like kernel modules, for any class and byte order, so
 * that tests can make exactly the module they need (and the real depmod can read it too).
 */
export interface FakeModuleSpec {
  readonly is64?: boolean;
  readonly bigEndian?: boolean;
  readonly machine?: number;
  readonly modinfo?: readonly string[];
  /** Exported symbols; their CRCs become __crc_ symbols. */
  readonly exports?: ReadonlyArray<{ name: string; crc?: number }>;
  /** "absolute": CRCs are SHN_ABS symbol values; "section" (default): offsets into a data section. */
  readonly crcMode?: "absolute" | "section";
  /** Exports listed only in __ksymtab_strings (no __crc_ symbols). */
  readonly ksymtabStrings?: readonly string[];
  readonly needs?: ReadonlyArray<{ name: string; weak?: boolean }>;
  readonly versions?: ReadonlyArray<{ name: string; crc: number }>;
  /** Bytes appended after the ELF image (a signature trailer, for instance). */
  readonly trailer?: Buffer;
}

interface SectionSpec {
  name: string;
  type: number;
  flags: number;
  data: Buffer;
  link: number;
  info: number;
  entsize: number;
  align: number;
}

const SHT_PROGBITS = 1;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SHN_ABS = 0xfff1;

class Writer {
  constructor(private readonly bigEndian: boolean) {}
  u8(v: number): Buffer {
    return Buffer.from([v & 0xff]);
  }
  u16(v: number): Buffer {
    const b = Buffer.alloc(2);
    if (this.bigEndian) b.writeUInt16BE(v);
    else b.writeUInt16LE(v);
    return b;
  }
  u32(v: number): Buffer {
    const b = Buffer.alloc(4);
    if (this.bigEndian) b.writeUInt32BE(v >>> 0);
    else b.writeUInt32LE(v >>> 0);
    return b;
  }
  u64(v: number | bigint): Buffer {
    const b = Buffer.alloc(8);
    if (this.bigEndian) b.writeBigUInt64BE(BigInt(v));
    else b.writeBigUInt64LE(BigInt(v));
    return b;
  }
}

class StrTab {
  private readonly parts: Buffer[] = [Buffer.from([0])];
  private size = 1;
  add(s: string): number {
    const at = this.size;
    const b = Buffer.from(s + "\0", "latin1");
    this.parts.push(b);
    this.size += b.length;
    return at;
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export function buildModule(spec: FakeModuleSpec): Buffer {
  const is64 = spec.is64 ?? true;
  const w = new Writer(spec.bigEndian ?? false);
  const sections: SectionSpec[] = [];
  const add = (s: Partial<SectionSpec> & { name: string; type: number; data: Buffer }): number => {
    sections.push({ flags: 0, link: 0, info: 0, entsize: 0, align: 1, ...s });
    return sections.length; // index in the final table (0 is the null section)
  };

  add({ name: ".text", type: SHT_PROGBITS, flags: 6, data: Buffer.alloc(16) });
  if (spec.modinfo) add({ name: ".modinfo", type: SHT_PROGBITS, flags: 2, data: Buffer.from(spec.modinfo.map((s) => s + "\0").join(""), "latin1") });
  if (spec.ksymtabStrings) add({ name: "__ksymtab_strings", type: SHT_PROGBITS, flags: 2, data: Buffer.from(spec.ksymtabStrings.map((s) => s + "\0").join(""), "latin1") });
  const crcMode = spec.crcMode ?? "section";
  const exports = spec.exports ?? [];
  let crcSection = 0;
  if (crcMode === "section" && exports.length > 0) {
    crcSection = add({ name: ".rodata", type: SHT_PROGBITS, flags: 2, data: Buffer.concat(exports.map((e) => w.u32(e.crc ?? 0))) });
  }
  if (spec.versions) {
    const entries = spec.versions.map((v) => {
      const entry = Buffer.alloc(64);
      (is64 ? w.u64(v.crc) : w.u32(v.crc)).copy(entry, 0);
      entry.write(v.name, is64 ? 8 : 4, "latin1");
      return entry;
    });
    add({ name: "__versions", type: SHT_PROGBITS, flags: 2, data: Buffer.concat(entries) });
  }

  const strtab = new StrTab();
  const symbols: Buffer[] = [];
  const symbol = (name: number, info: number, shndx: number, value: number | bigint): Buffer =>
    is64
      ? Buffer.concat([w.u32(name), w.u8(info), w.u8(0), w.u16(shndx), w.u64(value), w.u64(0)])
      : Buffer.concat([w.u32(name), w.u32(Number(value)), w.u32(0), w.u8(info), w.u8(0), w.u16(shndx)]);
  symbols.push(symbol(0, 0, 0, 0));
  exports.forEach((e, i) => {
    const name = strtab.add(`__crc_${e.name}`);
    if (crcMode === "absolute") symbols.push(symbol(name, 0x10, SHN_ABS, e.crc ?? 0));
    else symbols.push(symbol(name, 0x10, crcSection, i * 4));
  });
  for (const need of spec.needs ?? []) {
    symbols.push(symbol(strtab.add(need.name), need.weak ? 0x20 : 0x10, 0, 0));
  }
  const strtabIndex = sections.length + 2; // .symtab comes next, then .strtab
  add({ name: ".symtab", type: SHT_SYMTAB, data: Buffer.concat(symbols), link: strtabIndex, info: 1, entsize: is64 ? 24 : 16, align: 8 });
  add({ name: ".strtab", type: SHT_STRTAB, data: strtab.bytes() });
  const shstr = new StrTab();
  const nameOffsets = sections.map((s) => shstr.add(s.name));
  const shstrName = shstr.add(".shstrtab");
  add({ name: ".shstrtab", type: SHT_STRTAB, data: shstr.bytes() });
  nameOffsets.push(shstrName);

  const ehsize = is64 ? 64 : 52;
  const shentsize = is64 ? 64 : 40;
  const chunks: Buffer[] = [];
  let offset = ehsize;
  const offsets: number[] = [];
  for (const s of sections) {
    const pad = (8 - (offset % 8)) % 8;
    chunks.push(Buffer.alloc(pad));
    offset += pad;
    offsets.push(offset);
    chunks.push(s.data);
    offset += s.data.length;
  }
  const pad = (8 - (offset % 8)) % 8;
  chunks.push(Buffer.alloc(pad));
  offset += pad;
  const shoff = offset;
  const headers: Buffer[] = [Buffer.alloc(shentsize)];
  sections.forEach((s, i) => {
    headers.push(
      is64
        ? Buffer.concat([w.u32(nameOffsets[i]), w.u32(s.type), w.u64(s.flags), w.u64(0), w.u64(offsets[i]), w.u64(s.data.length), w.u32(s.link), w.u32(s.info), w.u64(s.align), w.u64(s.entsize)])
        : Buffer.concat([w.u32(nameOffsets[i]), w.u32(s.type), w.u32(s.flags), w.u32(0), w.u32(offsets[i]), w.u32(s.data.length), w.u32(s.link), w.u32(s.info), w.u32(s.align), w.u32(s.entsize)]),
    );
  });
  const ident = Buffer.alloc(16);
  ident.write("\x7fELF", 0, "latin1");
  ident[4] = is64 ? 2 : 1;
  ident[5] = spec.bigEndian ? 2 : 1;
  ident[6] = 1;
  const machine = spec.machine ?? (is64 ? 62 : 3);
  const header = is64
    ? Buffer.concat([ident, w.u16(1), w.u16(machine), w.u32(1), w.u64(0), w.u64(0), w.u64(shoff), w.u32(0), w.u16(ehsize), w.u16(0), w.u16(0), w.u16(shentsize), w.u16(sections.length + 1), w.u16(sections.length)])
    : Buffer.concat([ident, w.u16(1), w.u16(machine), w.u32(1), w.u32(0), w.u32(0), w.u32(shoff), w.u32(0), w.u16(ehsize), w.u16(0), w.u16(0), w.u16(shentsize), w.u16(sections.length + 1), w.u16(sections.length)]);
  return Buffer.concat([header, ...chunks, ...headers, spec.trailer ?? Buffer.alloc(0)]);
}
