import fs = require("node:fs");
import { ModbundleError, describeSystemError } from "../errors";
import { openRegularFile } from "./regular-file";
import { FsPath, pathName } from "../util/bytes";

/**
 * Random access to a bundle or a module file of known size. Every parser takes a ByteSource and
 * never a path, so that a regular file, a block device and an in-memory buffer are read the
 * same way, and so that tests can substitute a source that fails on demand.
 */
export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

export interface ByteSource {
  /** What the source is called in messages (a path, or a description). */
  readonly name: string;
  /** Bytes available; for a block device, the device's size (never st_size). */
  readonly size: number;
  /**
   * Exactly `length` bytes at `offset`; a short read is an error naming the offset. `into`, when
   * it holds `length` bytes, may receive them (the result is then a view of it): sources that
   * hand out views of memory of their own ignore it.
   */
  readAt(offset: number, length: number, into?: Buffer): Buffer;
  /**
   * A hint that these ranges will be read soon, so that a remote source fetches them together
   * (remote-source.ts); sources whose reads are cheap do not have it.
   */
  prefetch?(ranges: readonly ByteRange[]): void;
  close(): void;
}

/**
 * Rejects a file-supplied range that does not lie within `limit` bytes. Numbers from the file are
 * checked for being safe non-negative integers first, so that a huge or negative value cannot
 * wrap around into a plausible one.
 */
export function checkRange(what: string, offset: number, length: number, limit: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new ModbundleError("EBUNDLE", `${what}: invalid range (offset ${offset}, length ${length})`);
  }
  if (offset > limit || length > limit - offset) {
    throw new ModbundleError(
      "EBUNDLE",
      `${what}: range ${offset}+${length} exceeds the ${limit} bytes available`,
    );
  }
}

export class BufferSource implements ByteSource {
  readonly size: number;

  constructor(
    private readonly buffer: Buffer,
    readonly name = "buffer",
  ) {
    this.size = buffer.length;
  }

  readAt(offset: number, length: number): Buffer {
    checkRange(this.name, offset, length, this.size);
    return this.buffer.subarray(offset, offset + length);
  }

  close(): void {}
}

/** The size of a block device, from sysfs, because fstat reports 0 for devices. */
function blockDeviceSize(stat: fs.Stats, name: string): number {
  // glibc's dev_t layout (gnu_dev_major/gnu_dev_minor), in arithmetic that stays exact above 2^32.
  const major = (Math.floor(stat.rdev / 0x100) & 0xfff) | (Math.floor(stat.rdev / 0x100000000) & ~0xfff);
  const minor = (stat.rdev & 0xff) | (Math.floor(stat.rdev / 0x1000) & 0xfff00);
  const sysfs = `/sys/dev/block/${major}:${minor}/size`;
  try {
    const sectors = Number(fs.readFileSync(sysfs, "latin1").trim());
    if (Number.isSafeInteger(sectors)) return sectors * 512;
  } catch {
    // fall through to the error below
  }
  throw new ModbundleError("EIO", `${name}: cannot determine the size of the block device`);
}

export class FileSource implements ByteSource {
  readonly size: number;
  private fd: number | null;

  private constructor(
    readonly name: string,
    fd: number,
    size: number,
  ) {
    this.fd = fd;
    this.size = size;
  }

  /** `file`: Node's text, or a Buffer of exact bytes (whose name is then a byte string). */
  static open(file: FsPath): FileSource {
    const name = pathName(file);
    let opened: { fd: number; stat: fs.Stats };
    try {
      opened = openRegularFile(file, { allowBlockDevice: true });
    } catch (error) {
      throw new ModbundleError("EIO", `${name}: ${describeSystemError(error)}`);
    }
    const { fd, stat } = opened;
    try {
      const size = stat.isBlockDevice() ? blockDeviceSize(stat, name) : stat.size;
      return new FileSource(name, fd, size);
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  }

  readAt(offset: number, length: number, into?: Buffer): Buffer {
    checkRange(this.name, offset, length, this.size);
    if (this.fd === null) throw new ModbundleError("EIO", `${this.name}: read after close`);
    const buffer = into !== undefined && into.length >= length ? into.subarray(0, length) : Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = fs.readSync(this.fd, buffer, done, length - done, offset + done);
      } catch (error) {
        throw new ModbundleError("EIO", `${this.name}: read at offset ${offset + done}: ${describeSystemError(error)}`);
      }
      if (n === 0) {
        throw new ModbundleError("EBUNDLE", `${this.name}: unexpected end of file at offset ${offset + done}`);
      }
      done += n;
    }
    return buffer;
  }

  close(): void {
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }
}
