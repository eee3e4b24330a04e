import fs = require("node:fs");
import { crc32 } from "../util/crc32";
import { ModbundleError, describeSystemError } from "../errors";
import { createExclusive, removeStaleTemporaries, temporaryPathFor } from "../io/exclusive";
import { CompressionKind, detectCompression } from "../compress/kind";
import { S_IFDIR, S_IFREG, encodeMemberHead, headerAndNameSize, pad4, trailerHead } from "./cpio";
import { HEADER_MEMBER, HEADER_SIZE, INDEX_MEMBER, META_DIR, encodeHeader } from "./format";
import { MemberRecord, indexDirectoryLength } from "./index-codec";
import { SAFE_MODE_BITS } from "./verify";

/**
 * Streams a bundle to a temporary file beside the target (created exclusively under an
 * unpredictable name, see io/exclusive.ts), one member at a time, then writes the
 * index, patches the fixed-size header with its location, fsyncs and renames over the target. An
 * interrupted pack leaves the old bundle as it was. Every member's size is checked against what
 * its cpio header declared.
 */
export class BundleWriter {
  private offset = 0;
  private nextIno = 1;
  private readonly members: MemberRecord[] = [];
  private readonly directories = new Set<string>();
  private readonly files = new Set<string>();
  private headerDataOffset = 0;
  private closed = false;

  private constructor(
    private readonly target: string,
    private readonly tempPath: string,
    private readonly fd: number,
    private readonly mtime: number,
  ) {}

  /** `mtime` stamps the members modbundle itself creates (kept constant for reproducibility). */
  static create(target: string, mtime: number): BundleWriter {
    removeStaleTemporaries(target);
    const tempPath = temporaryPathFor(target);
    let fd: number;
    try {
      fd = createExclusive(tempPath, 0o644);
    } catch (error) {
      // Named as the user gave it: the temporary file is ours, not theirs.
      throw new ModbundleError("EIO", `cannot write ${target}: ${describeSystemError(error)}`);
    }
    const writer = new BundleWriter(target, tempPath, fd, mtime);
    try {
      writer.writeDirectory(META_DIR, mtime);
      const head = encodeMemberHead({ name: HEADER_MEMBER, ino: writer.nextIno++, mode: S_IFREG | 0o644, nlink: 1, mtime, fileSize: HEADER_SIZE });
      writer.write(head);
      writer.headerDataOffset = writer.offset;
      writer.write(Buffer.alloc(HEADER_SIZE + pad4(HEADER_SIZE)));
    } catch (error) {
      // The caller has no writer to abort yet: the temporary goes here (a disk full at once).
      writer.abort();
      throw error;
    }
    return writer;
  }

  private write(data: Buffer): void {
    let done = 0;
    while (done < data.length) {
      try {
        done += fs.writeSync(this.fd, data, done, data.length - done, this.offset + done);
      } catch (error) {
        // The user's target is named: the temporary beside it is ours (ENOSPC, EIO, EFBIG, EDQUOT).
        throw new ModbundleError("EIO", `cannot write ${this.target}: ${describeSystemError(error)}`);
      }
    }
    this.offset += data.length;
  }

  private writeDirectory(name: string, mtime: number): void {
    this.write(encodeMemberHead({ name, ino: this.nextIno++, mode: S_IFDIR | 0o755, nlink: 2, mtime, fileSize: 0 }));
    this.directories.add(name);
  }

  /**
   * Adds a file; its parent directories become members first, once each. `plainSize` is the
   * size of a compressed module once decompressed (the index records it).
   */
  addFile(relpath: string, data: Buffer, mode: number, mtime: number, plainSize = data.length): MemberRecord {
    if (this.files.has(relpath)) throw new ModbundleError("EBUNDLE", `${relpath}: stored twice`);
    this.files.add(relpath);
    const parts = relpath.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (!this.directories.has(dir)) this.writeDirectory(dir, mtime);
    }
    const head = encodeMemberHead({ name: relpath, ino: this.nextIno++, mode: S_IFREG | (mode & SAFE_MODE_BITS), nlink: 1, mtime, fileSize: data.length });
    if (head.length !== headerAndNameSize(Buffer.byteLength(relpath) + 1)) {
      throw new ModbundleError("EBUNDLE", `${relpath}: cpio header size mismatch`);
    }
    this.write(head);
    const record: MemberRecord = {
      path: relpath,
      offset: this.offset,
      size: data.length,
      compression: detectCompression(data.subarray(0, 6)) as CompressionKind,
      crc32: crc32(data),
      plainSize,
    };
    const start = this.offset;
    this.write(data);
    if (this.offset - start !== data.length) throw new ModbundleError("EBUNDLE", `${relpath}: wrote ${this.offset - start} bytes, declared ${data.length}`);
    this.write(Buffer.alloc(pad4(data.length)));
    this.members.push(record);
    return record;
  }

  get memberRecords(): readonly MemberRecord[] {
    return this.members;
  }

  /** Writes the index and the trailer, patches the header, syncs and renames. */
  finish(index: Buffer): void {
    const head = encodeMemberHead({ name: INDEX_MEMBER, ino: this.nextIno++, mode: S_IFREG | 0o644, nlink: 1, mtime: this.mtime, fileSize: index.length });
    this.write(head);
    const indexOffset = this.offset;
    this.write(index);
    this.write(Buffer.alloc(pad4(index.length)));
    this.write(trailerHead());
    const archiveLength = this.offset;
    const header = encodeHeader({
      indexOffset,
      indexLength: index.length,
      archiveLength,
      indexCrc32: crc32(index.subarray(0, indexDirectoryLength(index))),
    });
    const saved = this.offset;
    this.offset = this.headerDataOffset;
    this.write(header);
    this.offset = saved;
    try {
      fs.ftruncateSync(this.fd, archiveLength);
      fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
      this.closed = true;
      fs.renameSync(this.tempPath, this.target);
    } catch (error) {
      this.abort();
      throw new ModbundleError("EIO", `cannot write ${this.target}: ${describeSystemError(error)}`);
    }
  }

  /** Removes the temporary file; the target is untouched. */
  abort(): void {
    if (!this.closed) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already closed
      }
      this.closed = true;
    }
    try {
      fs.unlinkSync(this.tempPath);
    } catch {
      // nothing to remove
    }
  }
}
