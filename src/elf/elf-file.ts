import { HOST_LITTLE_ENDIAN } from "../util/host-endian";
import { ModbundleError } from "../errors";

/**
 * A validated view of an ELF relocatable object of any class and byte order. The header and the
 * section table are checked once, here; afterwards every read goes through `range()`, which
 * rejects offsets outside the file or the section. A missing section is `undefined`; a corrupt
 * file is an exception naming the file, the structure and the numbers.
 */
export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly size: number;
  readonly entrySize: number;
  readonly link: number;
  /** Byte offset of this section's header in the file, for in-place edits (kmod's strip). */
  readonly headerOffset: number;
}

export const SHT_NOBITS = 8;
export const SHN_UNDEF = 0;
export const SHN_ABS = 0xfff1;
export const SHN_LORESERVE = 0xff00;
export const STB_WEAK = 2;

/** Section names as the name table holds them, made once: a tree's modules are asked for the same few. */
const NUL_TERMINATED = new Map<string, Buffer>();

function nulTerminated(name: string): Buffer {
  let bytes = NUL_TERMINATED.get(name);
  if (bytes === undefined) NUL_TERMINATED.set(name, (bytes = Buffer.from(name + "\0", "latin1")));
  return bytes;
}

export class ElfFile {
  readonly is64: boolean;
  readonly littleEndian: boolean;
  readonly machine: number;
  readonly sectionCount: number;
  /** Where the section table starts, and its entries' size. */
  private readonly sectionTable: number;
  private readonly sectionEntrySize: number;
  private readonly nameOffsets: Uint32Array;
  private readonly namesOffset: number;
  private readonly namesSize: number;

  constructor(
    readonly data: Buffer,
    readonly name: string,
  ) {
    if (data.length >= 4 && data.readUInt32BE(0) === 0x7f454c46 && data.length < 52) {
      throw this.corrupt(`file of ${data.length} bytes is shorter than the ELF header`);
    }
    if (data.length < 16 || data.readUInt32BE(0) !== 0x7f454c46) {
      throw this.corrupt("not an ELF file (bad magic)");
    }
    const elfClass = data[4];
    const encoding = data[5];
    if (elfClass !== 1 && elfClass !== 2) throw this.corrupt(`unknown ELF class ${elfClass}`);
    if (encoding !== 1 && encoding !== 2) throw this.corrupt(`unknown ELF data encoding ${encoding}`);
    this.is64 = elfClass === 2;
    this.littleEndian = encoding === 1;
    const headerSize = this.is64 ? 64 : 52;
    if (data.length < headerSize) throw this.corrupt(`file of ${data.length} bytes is shorter than the ELF header`);
    this.machine = this.u16(18);
    const shoff = this.is64 ? this.u64(0x28) : this.u32(0x20);
    const shentsize = this.u16(this.is64 ? 0x3a : 0x2e);
    const shnum = this.u16(this.is64 ? 0x3c : 0x30);
    const shstrndx = this.u16(this.is64 ? 0x3e : 0x32);
    const minEntry = this.is64 ? 64 : 40;
    if (shnum === 0) throw this.corrupt("no section header table");
    if (shentsize < minEntry) throw this.corrupt(`section header size ${shentsize} is below ${minEntry}`);
    this.range("section header table", shoff, shnum * shentsize);
    if (shstrndx >= shnum) throw this.corrupt(`section name table index ${shstrndx} >= ${shnum} sections`);

    // Of the section headers only the name offsets are decoded (into a flat array), and a section
    // is made an object only on request: modules have hundreds of sections and a reader needs
    // five of them. A header's place is computed, not kept: an array more for each module was
    // an allocation outside V8's heap more for each of a tree's thousands of modules.
    this.sectionCount = shnum;
    this.sectionTable = shoff;
    this.sectionEntrySize = shentsize;
    this.nameOffsets = new Uint32Array(shnum);
    if (!this.wordsOfSections(shoff, shnum, shentsize)) this.bytesOfSections(shoff, shnum, shentsize);
    const names = this.sectionAt(shstrndx) as ElfSection;
    this.range("section name table", names.offset, names.size);
    this.namesOffset = names.offset;
    this.namesSize = names.size;
    for (let i = 0; i < shnum; i++) {
      if (this.nameOffsets[i] >= names.size) throw this.corrupt(`section ${i} name offset ${this.nameOffsets[i]} is outside the name table`);
    }
  }

  /**
   * The constructor's pass over the section table: each section's header offset and name offset,
   * and a check that its data lies inside the file. The table lies inside the file (checked
   * before) and each entry is at least minEntry bytes long, so its fields are read without a
   * check each: modules have hundreds of sections.
   */
  private bytesOfSections(shoff: number, shnum: number, shentsize: number): void {
    const data = this.data;
    const le = this.littleEndian;
    const u32 = (at: number): number => (le ? data.readUInt32LE(at) : data.readUInt32BE(at));
    const u64 = (at: number): number => {
      const lo = le ? data.readUInt32LE(at) : data.readUInt32BE(at + 4);
      const hi = le ? data.readUInt32LE(at + 4) : data.readUInt32BE(at);
      return hi > 0x1fffff ? Number.MAX_SAFE_INTEGER : hi * 0x100000000 + lo;
    };
    const dataLength = data.length;
    for (let i = 0; i < shnum; i++) {
      const at = shoff + i * shentsize;
      this.nameOffsets[i] = u32(at);
      if (i !== 0 && u32(at + 4) !== SHT_NOBITS) {
        const offset = this.is64 ? u64(at + 24) : u32(at + 16);
        const size = this.is64 ? u64(at + 32) : u32(at + 20);
        if (offset > dataLength || size > dataLength - offset) this.range(`section ${i}`, offset, size);
      }
    }
  }

  /**
   * bytesOfSections by 32-bit words, where the table is in the host's byte order and aligned in
   * memory (every module of an x86-64 or arm64 tree): a tree has some 170,000 sections, each
   * with five to seven numbers to read. False where it does not apply.
   */
  private wordsOfSections(shoff: number, shnum: number, shentsize: number): boolean {
    const data = this.data;
    const start = data.byteOffset + shoff;
    if (this.littleEndian !== HOST_LITTLE_ENDIAN || start % 4 !== 0 || shentsize % 4 !== 0) return false;
    const words = new Uint32Array(data.buffer, start, (shnum * shentsize) / 4);
    const step = shentsize / 4;
    const dataLength = data.length;
    for (let i = 0; i < shnum; i++) {
      const w = i * step;
      this.nameOffsets[i] = words[w];
      if (i === 0 || words[w + 1] === SHT_NOBITS) continue;
      // As u64 reads them: past 2^53, no file position, the largest safe integer.
      const offset = this.is64 ? (words[w + 7] > 0x1fffff ? Number.MAX_SAFE_INTEGER : words[w + 7] * 0x100000000 + words[w + 6]) : words[w + 4];
      const size = this.is64 ? (words[w + 9] > 0x1fffff ? Number.MAX_SAFE_INTEGER : words[w + 9] * 0x100000000 + words[w + 8]) : words[w + 5];
      if (offset > dataLength || size > dataLength - offset) this.range(`section ${i}`, offset, size);
    }
    return true;
  }

  /** The first section of this name that has data in the file. */
  section(name: string): ElfSection | undefined {
    const wanted = nulTerminated(name);
    const data = this.data;
    const end = this.namesOffset + this.namesSize;
    for (let i = 0; i < this.sectionCount; i++) {
      const at = this.namesOffset + this.nameOffsets[i];
      if (at + wanted.length > end) continue;
      // Byte by byte: most names differ within a few bytes, sooner than a native compare is called.
      let k = 0;
      while (k < wanted.length && data[at + k] === wanted[k]) k++;
      if (k < wanted.length) continue;
      // Named as asked, not read again from the table: a tree's modules are asked for the same few.
      const section = this.sectionWithName(i, name);
      if (section.type !== SHT_NOBITS) return section;
    }
    return undefined;
  }

  sectionAt(index: number): ElfSection | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.sectionCount) return undefined;
    const nameOffset = this.nameOffsets[index];
    const name = this.namesSize === undefined ? "" : this.cString(this.namesOffset + nameOffset, this.namesOffset + this.namesSize);
    return this.sectionWithName(index, name);
  }

  private sectionWithName(index: number, name: string): ElfSection {
    const at = this.sectionTable + index * this.sectionEntrySize;
    return this.is64
      ? { index, name, type: this.u32(at + 4), flags: this.u64(at + 8), offset: this.u64(at + 24), size: this.u64(at + 32), link: this.u32(at + 40), entrySize: this.u64(at + 56), headerOffset: at }
      : { index, name, type: this.u32(at + 4), flags: this.u32(at + 8), offset: this.u32(at + 16), size: this.u32(at + 20), link: this.u32(at + 24), entrySize: this.u32(at + 36), headerOffset: at };
  }

  contents(section: ElfSection): Buffer {
    return this.data.subarray(section.offset, section.offset + section.size);
  }

  u16(at: number): number {
    this.range("read", at, 2);
    return this.littleEndian ? this.data.readUInt16LE(at) : this.data.readUInt16BE(at);
  }

  u32(at: number): number {
    this.range("read", at, 4);
    return this.littleEndian ? this.data.readUInt32LE(at) : this.data.readUInt32BE(at);
  }

  /** A 64-bit field as a number; values above 2^53 cannot be file offsets and are rejected. */
  u64(at: number): number {
    this.range("read", at, 8);
    const lo = this.littleEndian ? this.data.readUInt32LE(at) : this.data.readUInt32BE(at + 4);
    const hi = this.littleEndian ? this.data.readUInt32LE(at + 4) : this.data.readUInt32BE(at);
    if (hi > 0x1fffff) return Number.MAX_SAFE_INTEGER;
    return hi * 0x100000000 + lo;
  }

  /** A 64-bit value kept whole (symbol CRCs, values). */
  u64BigInt(at: number): bigint {
    this.range("read", at, 8);
    return this.littleEndian ? this.data.readBigUInt64LE(at) : this.data.readBigUInt64BE(at);
  }

  /** A NUL-terminated string starting at `at`, not reading past `end`. */
  cString(at: number, end: number): string {
    const stop = this.data.indexOf(0, at);
    const last = stop < 0 || stop > end ? end : stop;
    return this.data.toString("latin1", at, last);
  }

  range(what: string, offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 ||
        offset > this.data.length || length > this.data.length - offset) {
      throw this.corrupt(`${what} at offset ${offset}, length ${length} lies outside the file (${this.data.length} bytes)`);
    }
  }

  corrupt(reason: string): ModbundleError {
    return new ModbundleError("EELF", `${this.name}: ${reason}`);
  }
}
