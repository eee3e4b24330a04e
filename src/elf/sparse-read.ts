/**
 * Reads only the parts of an ELF object that a reader of a few sections needs: the header, the
 * section header table, the section name table and the named sections, each into its own place
 * in `into`, which is the file's size or larger and all zeros (the caller keeps it so, zeroing
 * again what `read` filled: a reader that strays outside those parts sees zeros or this file's
 * bytes, never another file's). depmod needs about a sixth of a module's bytes (its symbol and
 * string tables, .modinfo, __versions); reading only those saves most of the I/O and copying of a
 * whole tree. Parts that lie close together are read in one go (the bytes between them too), and
 * so are the section headers and the name table before them: some 4 reads a module, not 8.
 * Anything that does not look like a well-formed ELF header and section table is read whole
 * instead, so that ElfFile reports it exactly as it would. `read` puts the file's bytes
 * [offset, offset + length) at the same offset of `into`.
 */
export type ReadInto = (offset: number, length: number) => void;

const ELF_MAGIC = 0x7f454c46;
/** Bytes between two wanted parts read rather than skipped: one read fewer costs more than a page's copy. */
const NEAR = 4096;
const SHT_NOBITS = 8;
/**
 * Files this small are read whole, in one read: their four or so sparse reads (a call into Node
 * and the kernel each) cost more than copying the bytes between (seven in ten of a tree's modules are).
 */
const WHOLE_UP_TO = 64 * 1024;

export function readElfParts(read: ReadInto, size: number, into: Buffer, sections: readonly string[]): Buffer {
  const data = into.subarray(0, size);
  const whole = (): Buffer => {
    read(0, size);
    return data;
  };
  if (size <= WHOLE_UP_TO) return whole();
  const headerSize = Math.min(64, size);
  if (headerSize < 52) return whole();
  read(0, headerSize);
  if (data.readUInt32BE(0) !== ELF_MAGIC || (data[4] !== 1 && data[4] !== 2) || (data[5] !== 1 && data[5] !== 2)) return whole();
  const is64 = data[4] === 2;
  if (is64 && size < 64) return whole();
  const le = data[5] === 1;
  const u16 = (at: number): number => (le ? data.readUInt16LE(at) : data.readUInt16BE(at));
  const u32 = (at: number): number => (le ? data.readUInt32LE(at) : data.readUInt32BE(at));
  const u64 = (at: number): number => {
    const lo = le ? data.readUInt32LE(at) : data.readUInt32BE(at + 4);
    const hi = le ? data.readUInt32LE(at + 4) : data.readUInt32BE(at);
    return hi > 0x1fffff ? Number.MAX_SAFE_INTEGER : hi * 0x100000000 + lo;
  };
  const shoff = is64 ? u64(0x28) : u32(0x20);
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  const shnum = u16(is64 ? 0x3c : 0x30);
  const shstrndx = u16(is64 ? 0x3e : 0x32);
  const fits = (offset: number, length: number): boolean => offset >= 0 && length >= 0 && offset <= size && length <= size - offset;
  if (shnum === 0 || shentsize < (is64 ? 64 : 40) || shstrndx >= shnum || !fits(shoff, shnum * shentsize)) return whole();
  // The section name table usually lies just before the section headers (as the linker writes
  // them): read with them, it costs no read of its own.
  const before = Math.min(shoff, NEAR);
  read(shoff - before, before + shnum * shentsize);
  const at = (i: number): number => shoff + i * shentsize;
  const offsetOf = (i: number): number => (is64 ? u64(at(i) + 24) : u32(at(i) + 16));
  const sizeOf = (i: number): number => (is64 ? u64(at(i) + 32) : u32(at(i) + 20));
  const namesOffset = offsetOf(shstrndx);
  const namesSize = sizeOf(shstrndx);
  if (!fits(namesOffset, namesSize)) return whole();
  const readAlready = (offset: number, length: number): boolean => offset >= shoff - before && offset + length <= shoff + shnum * shentsize;
  if (!readAlready(namesOffset, namesSize)) read(namesOffset, namesSize);
  const wanted = terminatedNames(sections);
  // [offset, end) of each wanted section, read together when little lies between them.
  const ranges: number[] = [];
  for (let i = 1; i < shnum; i++) {
    if (u32(at(i) + 4) === SHT_NOBITS) continue;
    const nameAt = namesOffset + u32(at(i));
    if (nameAt >= namesOffset + namesSize || !namedOneOf(data, nameAt, namesOffset + namesSize, wanted)) continue;
    const offset = offsetOf(i);
    const length = sizeOf(i);
    if (!fits(offset, length)) return whole();
    if (length > 0 && !readAlready(offset, length)) ranges.push(offset, offset + length);
  }
  for (const [start, end] of mergedRanges(ranges)) read(start, end - start);
  return data;
}

/** The names, each NUL-terminated, made once per list (a tree's modules are all asked for the same). */
const TERMINATED = new WeakMap<readonly string[], readonly Buffer[]>();

function terminatedNames(sections: readonly string[]): readonly Buffer[] {
  let names = TERMINATED.get(sections);
  if (names === undefined) TERMINATED.set(sections, (names = sections.map((name) => Buffer.from(`${name}\0`, "latin1"))));
  return names;
}

/**
 * Whether the name at data[at..] (ending at its NUL, before `end`) is one of `wanted`, compared
 * on the bytes: a module has some 50 sections, and a string made for each name was most of
 * what this reader allocated.
 */
function namedOneOf(data: Buffer, at: number, end: number, wanted: readonly Buffer[]): boolean {
  for (const name of wanted) {
    if (at + name.length > end) continue;
    let k = 0;
    while (k < name.length && data[at + k] === name[k]) k++;
    if (k === name.length) return true;
  }
  return false;
}

/** Sorted and joined where they overlap or lie less than NEAR bytes apart (the bytes between are read too). */
function mergedRanges(flat: readonly number[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (let k = 0; k < flat.length; k += 2) ranges.push([flat[k], flat[k + 1]]);
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && range[0] - last[1] <= NEAR) last[1] = Math.max(last[1], range[1]);
    else merged.push(range);
  }
  return merged;
}
