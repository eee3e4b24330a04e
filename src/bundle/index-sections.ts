import { HOST_LITTLE_ENDIAN } from "../util/host-endian";
import { crc32 } from "../util/crc32";
import { ModbundleError } from "../errors";
import { sumFields } from "./index-scan";

/**
 * The binary index stored in ".modbundle/index": its head and section table, and the checked
 * access every section's reader goes through (bundle/index-codec.ts puts the parts together).
 *
 * Layout (little-endian u32 throughout): a 16-byte head ("MBIX", version, section count, 0), a
 * section table of (id, offset, length, CRC-32) entries, then the sections, each 4-byte aligned.
 * Strings live in several pools (core, builtin, symbol, and one per alias table), so that a
 * command reads only the pools of the tables it uses; a string is referenced as an (offset,
 * length) pair of latin1 bytes into its table's pool (bundle/index-strings.ts).
 *
 *   CORE_STRINGS     module names, paths, softdep/weakdep values, devnames, kernel version
 *   META, SYMBOLS, BUILTIN, DEVNAMES, and their pools  bundle/index-other-tables.ts
 *   MEMBERS, MODULES, MODULES_BY_NAME, U32S, STRING_LISTS  bundle/index-modules.ts
 *   ALIAS_FAMILIES, ALIAS_ORDER                        bundle/index-alias-families.ts
 *   BUILTIN_ALIAS_TABLE and the families' tables       bundle/index-alias-table.ts
 *
 * The reader reads the head and section table when it opens the index and each section the first
 * time it is used, checking its CRC-32; every reference is checked when it is read, so that
 * opening costs almost nothing and a hostile index cannot send a read out of bounds.
 */
export const INDEX_MAGIC = "MBIX";
export const INDEX_VERSION = 4;
/** The most sections an index may have (the section table must fit INDEX_DIRECTORY_MAX). */
export const MAX_SECTIONS = 64;
const ENTRY_SIZE = 16;
/** Bytes a reader fetches to get the head and the section table in one read. */
export const INDEX_DIRECTORY_MAX = 16 + MAX_SECTIONS * ENTRY_SIZE;
export const NONE = 0xffffffff;

export enum Section {
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

/** The length of the head and section table at the start of `index`, or undefined if it does not fit. */
export function indexDirectoryLength(index: Buffer): number | undefined {
  if (index.length < 16) return undefined;
  const length = 16 + index.readUInt32LE(8) * ENTRY_SIZE;
  return length <= index.length && length <= INDEX_DIRECTORY_MAX ? length : undefined;
}

/** The head, the section table and the sections, in the order given, each padded to 4 bytes. */
export function encodeSections(sections: ReadonlyArray<readonly [Section, Buffer]>): Buffer {
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

/** Where the reader gets section bytes: `read(offset, length)` relative to the index start. */
export interface IndexSource {
  readonly length: number;
  read(offset: number, length: number): Buffer;
  /** A hint: these ranges will be read soon (a remote source fetches them in one round). */
  prefetch?(ranges: ReadonlyArray<{ readonly offset: number; readonly length: number }>): void;
}

/** An index held whole in memory (tests, and directories read into an index). */
export function bufferIndexSource(data: Buffer): IndexSource {
  return { length: data.length, read: (offset, length) => data.subarray(offset, offset + length) };
}

/**
 * The strings a table references may add up to at most this many times the bytes of the table and
 * of its pool together. Strings are shared (a pool holds each once, and references repeat: a
 * module's name is every one of its aliases' target), so without a bound a small index could name
 * one long string from a thousand records and make every reader copy and parse it a thousand
 * times; with it, the work of reading every string is linear in the index's size. Debian 12's
 * indexes reach 2 at most (an alias family), and a table of short strings passes whatever its
 * pool: each reference takes 8 bytes of record, which allow 64 bytes of string.
 */
export const STRING_VOLUME_FACTOR = 8;

/** Where a table's string references point, and which word of each record holds a length. */
export interface StringReferences {
  readonly pool: Section;
  readonly recordWords: number;
  readonly lengthWords: readonly number[];
}

interface Entry {
  readonly offset: number;
  readonly length: number;
  readonly crc: number;
}

/**
 * The section table of an opened index, and checked reads of its sections: each section is read
 * and CRC-checked the first time it is used; every offset, length and number read from a section
 * goes through string(), below() or span() before it is used.
 */
export class IndexSections {
  private readonly entries = new Map<Section, Entry>();
  private readonly loaded = new Map<Section, Buffer>();
  private readonly views = new Map<Section, Uint32Array>();

  constructor(
    private readonly source: IndexSource,
    /** The head and section table: the first min(INDEX_DIRECTORY_MAX, length) bytes. */
    directory: Buffer,
    private readonly where: string,
    /** The record size, in words, of each section that is a table of records. */
    private readonly recordWords: Partial<Record<Section, number>>,
    /** The string references of each table that has some (their volume is checked on load). */
    private readonly stringReferences: Partial<Record<Section, StringReferences>> = {},
  ) {
    if (directory.length < 16 || directory.toString("latin1", 0, 4) !== INDEX_MAGIC) throw this.corrupt("bad index magic");
    const version = directory.readUInt32LE(4);
    if (version !== INDEX_VERSION) throw this.corrupt(`unsupported index version ${version}`);
    const count = directory.readUInt32LE(8);
    if (count > MAX_SECTIONS || 16 + count * ENTRY_SIZE > directory.length) throw this.corrupt(`section table of ${count} entries does not fit`);
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

  corrupt(reason: string): ModbundleError {
    return new ModbundleError("EBUNDLE", `${this.where}: corrupt index: ${reason}`);
  }

  /** The ids of the sections the table lists. */
  ids(): Iterable<Section> {
    return this.entries.keys();
  }

  /** A section's length as the section table gives it (0 when it is missing), without reading it. */
  length(id: Section): number {
    return this.entries.get(id)?.length ?? 0;
  }

  /** Announces that these sections will be read (for a source that can fetch them together). */
  prefetch(ids: Iterable<Section>): void {
    if (!this.source.prefetch) return;
    const ranges = [...ids].flatMap((id) => {
      const entry = this.entries.get(id);
      return entry && !this.loaded.has(id) ? [{ offset: entry.offset, length: entry.length }] : [];
    });
    this.source.prefetch(ranges);
  }

  /** A section's bytes, read and CRC-checked the first time. */
  section(id: Section): Buffer {
    let data = this.loaded.get(id);
    if (data) return data;
    const entry = this.entries.get(id);
    if (!entry) throw this.corrupt(`section ${Section[id]} is missing`);
    data = this.source.read(entry.offset, entry.length);
    if (crc32(data) !== entry.crc) {
      throw new ModbundleError("ECHECKSUM", `${this.where}: index checksum mismatch in section ${Section[id]} (corrupt index)`);
    }
    const references = this.stringReferences[id];
    if (references !== undefined) this.checkStringVolume(id, data, references);
    const words = this.recordWords[id];
    if (words !== undefined) {
      if (data.length % (words * 4) !== 0) throw this.corrupt(`section ${Section[id]} has a partial record`);
      // The u32 tables are viewed in place, in host order: copy when misaligned or big-endian.
      if (data.byteOffset % 4 !== 0 || !HOST_LITTLE_ENDIAN) {
        const copy = Buffer.alloc(data.length);
        data.copy(copy);
        if (!HOST_LITTLE_ENDIAN) copy.swap32();
        data = copy;
      }
    }
    this.loaded.set(id, data);
    return data;
  }

  /**
   * The bytes of string a table's records reference, against STRING_VOLUME_FACTOR (little-endian
   * words, before any swap). It runs at start-up over tables of thousands of records: summed by
   * bundle/index-scan.ts at native speed where it can, else by plain indexed loops over a word
   * view (the same additions in the same order), nothing allocated per record.
   */
  private checkStringVolume(id: Section, data: Buffer, references: StringReferences): void {
    const stride = references.recordWords;
    const records = Math.floor(data.length / (stride * 4));
    const lengthWords = references.lengthWords;
    let total = 0;
    const aligned = data.byteOffset % 4 === 0 && HOST_LITTLE_ENDIAN;
    const words = aligned ? new Uint32Array(data.buffer, data.byteOffset, records * stride) : undefined;
    const scanned = words && sumFields(words, stride, lengthWords);
    if (scanned !== undefined) {
      total = scanned;
    } else if (words) {
      for (let k = 0; k < lengthWords.length; k++) {
        for (let at = lengthWords[k]; at < words.length; at += stride) total += words[at];
      }
    } else {
      for (let k = 0; k < lengthWords.length; k++) {
        for (let at = lengthWords[k] * 4; at < records * stride * 4; at += stride * 4) total += data.readUInt32LE(at);
      }
    }
    this.checkStringTotal(`section ${Section[id]}`, total, data.length + (this.entries.get(references.pool)?.length ?? 0));
  }

  /** Refuses `total` bytes of string referenced by a table whose records and pool hold `bytes`. */
  checkStringTotal(what: string, total: number, bytes: number): void {
    if (total > STRING_VOLUME_FACTOR * bytes) {
      throw this.corrupt(`${what} references ${total} bytes of strings, more than ${STRING_VOLUME_FACTOR} times the ${bytes} bytes of its records and pool`);
    }
  }

  /** A section of records (see recordWords) viewed as u32 words. */
  table(id: Section): Uint32Array {
    let view = this.views.get(id);
    if (!view) {
      const data = this.section(id);
      view = new Uint32Array(data.buffer, data.byteOffset, data.length / 4);
      this.views.set(id, view);
    }
    return view;
  }

  // Checked access

  string(pool: Buffer, off: number, len: number): string {
    if (off > pool.length || len > pool.length - off) throw this.corrupt(`string ${off}+${len} lies outside the string table`);
    return pool.toString("latin1", off, off + len);
  }

  /**
   * Compares the byte string `key` with a pooled string, in the order Buffer.compare gives their
   * bytes (the sign is what counts). Byte by byte here: a name differs from most others within
   * its first bytes, and Buffer#compare's checks of its arguments, with the bytes of the key
   * made first, cost more than that (two thirds of a lookup's time in a profile).
   */
  compareTo(key: string, pool: Buffer, off: number, len: number): number {
    if (off > pool.length || len > pool.length - off) throw this.corrupt(`string ${off}+${len} lies outside the string table`);
    const common = Math.min(key.length, len);
    for (let i = 0; i < common; i++) {
      const difference = (key.charCodeAt(i) & 0xff) - pool[off + i];
      if (difference !== 0) return difference;
    }
    return key.length - len;
  }

  below(value: number, limit: number, what: string): number {
    if (!(value < limit)) throw this.corrupt(`${what} ${value} is out of range (< ${limit})`);
    return value;
  }

  span(start: number, count: number, limit: number, what: string): void {
    if (start > limit || count > limit - start) throw this.corrupt(`${what} ${start}+${count} is out of range (${limit})`);
  }

  /**
   * Binary search of a table sorted by name bytes: `count` records whose name is the string at
   * (nameOf(i), nameOf(i) + 1 words). Returns the record number or -1.
   */
  search(key: string, count: number, strings: Buffer, nameWord: (i: number) => number, words: Uint32Array): number {
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = nameWord(mid);
      const c = this.compareTo(key, strings, words[at], words[at + 1]);
      if (c === 0) return mid;
      if (c > 0) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }
}
