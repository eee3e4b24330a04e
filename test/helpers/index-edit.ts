import { HEADER_MEMBER, INDEX_MEMBER, encodeHeader } from "../../src/bundle/format";
import { CPIO_HEADER_SIZE, decodeHeader as decodeCpioHeader, encodeMemberHead, headerAndNameSize, pad4, trailerHead } from "../../src/bundle/cpio";
import { Section, encodeSections, indexDirectoryLength } from "../../src/bundle/index-sections";
import { crc32 } from "../../src/util/crc32";

/**
 * Edits a bundle's index as a hostile author would: the sections are decoded from the section
 * table, changed by `edit`, and written back with every CRC recomputed (each section's, the section
 * table's in the bundle header), the index member and the trailer rewritten and the header patched.
 * The result is a bundle whose every checksum holds.
 */
export type IndexSections = Array<[number, Buffer]>;

/** After the ".modbundle" (124 bytes) and ".modbundle/header" (128 bytes) cpio heads. */
export const HEADER_DATA_OFFSET = headerAndNameSize(".modbundle".length + 1) + headerAndNameSize(HEADER_MEMBER.length + 1);

export function indexLocation(bundle: Buffer): { offset: number; length: number } {
  return {
    offset: Number(bundle.readBigUInt64LE(HEADER_DATA_OFFSET + 16)),
    length: Number(bundle.readBigUInt64LE(HEADER_DATA_OFFSET + 24)),
  };
}

export function decodeIndexSections(index: Buffer): IndexSections {
  const count = index.readUInt32LE(8);
  const out: IndexSections = [];
  for (let i = 0; i < count; i++) {
    const at = 16 + i * 16;
    const offset = index.readUInt32LE(at + 4);
    out.push([index.readUInt32LE(at), Buffer.from(index.subarray(offset, offset + index.readUInt32LE(at + 8)))]);
  }
  return out;
}

/** The bundle with `index` as its index (any bytes), every checksum made to hold. */
export function replaceIndex(bundle: Buffer, index: Buffer): Buffer {
  const { offset } = indexLocation(bundle);
  const headAt = offset - headerAndNameSize(INDEX_MEMBER.length + 1);
  const old = decodeCpioHeader(bundle.subarray(headAt, headAt + CPIO_HEADER_SIZE), "index member");
  const head = encodeMemberHead({ name: INDEX_MEMBER, ino: old.ino, mode: old.mode, nlink: 1, mtime: old.mtime, fileSize: index.length });
  const out = Buffer.concat([bundle.subarray(0, headAt), head, index, Buffer.alloc(pad4(index.length)), trailerHead()]);
  const directoryLength = indexDirectoryLength(index) ?? Math.min(index.length, 16);
  encodeHeader({ indexOffset: offset, indexLength: index.length, archiveLength: out.length, indexCrc32: crc32(index.subarray(0, directoryLength)) })
    .copy(out, HEADER_DATA_OFFSET);
  return out;
}

export function editIndex(bundle: Buffer, edit: (sections: IndexSections) => void): Buffer {
  const { offset, length } = indexLocation(bundle);
  const sections = decodeIndexSections(bundle.subarray(offset, offset + length));
  edit(sections);
  return replaceIndex(bundle, encodeSections(sections as Array<[Section, Buffer]>));
}

export function sectionOf(sections: IndexSections, id: number): Buffer {
  const found = sections.find(([s]) => s === id);
  if (!found) throw new Error(`no section ${id}`);
  return found[1];
}

export function setSection(sections: IndexSections, id: number, data: Buffer): void {
  const found = sections.find(([s]) => s === id);
  if (found) found[1] = data;
  else sections.push([id, data]);
}
