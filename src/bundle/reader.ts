import { crc32 } from "../util/crc32";
import { escapeControls } from "../util/escape";
import { ModbundleError } from "../errors";
import { ByteRange, ByteSource, checkRange } from "../io/byte-source";
import { CPIO_HEADER_SIZE, CpioHeader, S_IFMT, S_IFDIR, S_IFREG, decodeHeader as decodeCpioHeader, headerAndNameSize } from "./cpio";
import { describeNonBundle } from "./file-kind";
import { BundleHeader, FIRST_READ_SIZE, HEADER_MEMBER, HEADER_SIZE, META_DIR, decodeHeader } from "./format";
import { BundleIndex, INDEX_DIRECTORY_MAX, MemberInfo, indexDirectoryLength } from "./index-codec";

/**
 * Opens a bundle from any ByteSource with two reads: the first FIRST_READ_SIZE bytes (the
 * ".modbundle" directory member and the fixed header), then the index, whose CRC-32 is checked
 * before it is parsed. Member data is read only on request, and always checked against its
 * checksum before it is returned.
 */
export class Bundle {
  private constructor(
    readonly source: ByteSource,
    readonly header: BundleHeader,
    readonly index: BundleIndex,
  ) {}

  static open(source: ByteSource): Bundle {
    const where = source.name;
    const first = source.readAt(0, Math.min(FIRST_READ_SIZE, source.size));
    const otherKind = describeNonBundle(first);
    if (otherKind !== undefined) throw new ModbundleError("EBUNDLE", `${where}: ${otherKind}`);
    if (source.size < CPIO_HEADER_SIZE) {
      throw new ModbundleError("EBUNDLE", `${where}: not a modbundle file (${source.size} bytes is too short)`);
    }
    const dir = readMemberHead(first, 0, where);
    if (dir.name !== META_DIR || (dir.header.mode & S_IFMT) !== S_IFDIR) {
      throw new ModbundleError("EBUNDLE", `${where}: not a modbundle file (first member is "${escapeControls(dir.name)}", expected "${META_DIR}")`);
    }
    const headerMember = readMemberHead(first, dir.dataOffset + dir.header.fileSize, where);
    if (headerMember.name !== HEADER_MEMBER || headerMember.header.fileSize !== HEADER_SIZE) {
      throw new ModbundleError("EBUNDLE", `${where}: not a modbundle file (no "${HEADER_MEMBER}" member of ${HEADER_SIZE} bytes)`);
    }
    if (headerMember.dataOffset + HEADER_SIZE > first.length) {
      throw new ModbundleError("EBUNDLE", `${where}: truncated bundle header`);
    }
    const header = decodeHeader(first.subarray(headerMember.dataOffset, headerMember.dataOffset + HEADER_SIZE), where);
    if (header.archiveLength > source.size) {
      throw new ModbundleError("EBUNDLE", `${where}: truncated bundle: ${source.size} bytes, the header says ${header.archiveLength}`);
    }
    checkRange(`${where}: index`, header.indexOffset, header.indexLength, header.archiveLength);
    // The second read: the index's head and section table; sections are read when first used.
    const directory = source.readAt(header.indexOffset, Math.min(INDEX_DIRECTORY_MAX, header.indexLength));
    const directoryLength = indexDirectoryLength(directory);
    if (directoryLength === undefined || crc32(directory.subarray(0, directoryLength)) !== header.indexCrc32) {
      throw new ModbundleError("ECHECKSUM", `${where}: index checksum mismatch (corrupt index)`);
    }
    const indexSource = {
      length: header.indexLength,
      read: (offset: number, length: number) => source.readAt(header.indexOffset + offset, length),
      prefetch: source.prefetch
        ? (ranges: readonly ByteRange[]) => source.prefetch?.(ranges.map((r) => ({ offset: header.indexOffset + r.offset, length: r.length })))
        : undefined,
    };
    return new Bundle(source, header, new BundleIndex(indexSource, directory, where));
  }

  /** Every reference of the index and every member's range, checked at once (verify). */
  validate(): void {
    this.index.validate();
    for (let i = 0; i < this.index.memberCount; i++) {
      const member = this.index.member(i);
      checkRange(`${this.source.name}: member ${escapeControls(member.path)}`, member.offset, member.size, this.header.indexOffset);
    }
  }

  /** Whether prefetchMembers does anything (a remote bundle). */
  get prefetches(): boolean {
    return this.source.prefetch !== undefined;
  }

  /**
   * A hint that these members will be read (with their cpio headers when `withHeaders`), so that
   * a remote bundle fetches them together; for a file this does nothing.
   */
  prefetchMembers(members: readonly MemberInfo[], withHeaders = false): void {
    if (!this.source.prefetch) return;
    this.source.prefetch(
      members.map((member) => {
        const head = withHeaders ? Math.min(member.offset, headerAndNameSize(Buffer.byteLength(member.path, "latin1") + 1)) : 0;
        return { offset: member.offset - head, length: member.size + head };
      }),
    );
  }

  /**
   * The member's stored bytes, verified against the index's CRC-32; read into a buffer from
   * `into` (given the length) when there is one, for bytes needed only for a while.
   */
  readMember(member: MemberInfo, into?: (length: number) => Buffer): Buffer {
    checkRange(`${this.source.name}: member ${escapeControls(member.path)}`, member.offset, member.size, this.header.indexOffset);
    const data = this.source.readAt(member.offset, member.size, into?.(member.size));
    if (crc32(data) !== member.crc32) {
      throw new ModbundleError("ECHECKSUM", `${this.source.name}: checksum mismatch in ${escapeControls(member.path)}`);
    }
    return data;
  }

  /** The cpio header in front of a member's data, checked against the index entry. */
  readMemberHeader(member: MemberInfo): CpioHeader {
    const nameSize = Buffer.byteLength(member.path, "latin1") + 1;
    const headSize = headerAndNameSize(nameSize);
    const where = `${this.source.name}: member ${escapeControls(member.path)}`;
    if (member.offset < headSize) throw new ModbundleError("EBUNDLE", `${where}: data offset ${member.offset} leaves no room for its header`);
    const head = readMemberHead(this.source.readAt(member.offset - headSize, headSize), 0, where);
    if (head.name !== member.path || head.header.fileSize !== member.size || (head.header.mode & S_IFMT) !== S_IFREG) {
      throw new ModbundleError("EBUNDLE", `${where}: cpio header disagrees with the index (name "${escapeControls(head.name)}", size ${head.header.fileSize})`);
    }
    return head.header;
  }

  close(): void {
    this.source.close();
  }
}

interface MemberHead {
  readonly header: CpioHeader;
  readonly name: string;
  readonly dataOffset: number;
}

function readMemberHead(bytes: Buffer, at: number, where: string): MemberHead {
  if (at + CPIO_HEADER_SIZE > bytes.length) throw new ModbundleError("EBUNDLE", `${where}: truncated cpio header at offset ${at}`);
  const header = decodeCpioHeader(bytes.subarray(at, at + CPIO_HEADER_SIZE), `${where}: offset ${at}`);
  const dataOffset = at + headerAndNameSize(header.nameSize);
  if (header.nameSize === 0 || at + CPIO_HEADER_SIZE + header.nameSize > bytes.length) {
    throw new ModbundleError("EBUNDLE", `${where}: cpio name at offset ${at + CPIO_HEADER_SIZE} of ${header.nameSize} bytes does not fit`);
  }
  const name = bytes.toString("latin1", at + CPIO_HEADER_SIZE, at + CPIO_HEADER_SIZE + header.nameSize - 1);
  return { header, name, dataOffset };
}
