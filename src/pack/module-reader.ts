import fs = require("node:fs");
import { ModbundleError, describeSystemError } from "../errors";
import { openRegularFile } from "../io/regular-file";
import { readElfParts } from "../elf/sparse-read";

/** What the reader needs to know of a module file of the tree. */
export interface ModuleFileEntry {
  readonly absolute: string;
  /** Listed without being looked at (a symbolic link, mostly: see listModuleTree). */
  readonly unchecked?: boolean;
}

/**
 * What readSections found at a path listed unchecked that is no regular file: a directory (which
 * a walk would have gone into), or anything else (which it would have skipped).
 */
export type NotRegularFile = "directory" | "other";

/**
 * One buffer, grown as needed, that every module is read into in turn: pack and depmod allocate
 * almost nothing per module, which keeps their memory flat and the garbage collector idle.
 */
export class ReusableReader {
  private buffer = Buffer.alloc(1 << 20);
  /** The ranges of `buffer` the last read filled: zeroed again before the next sparse read. */
  private readonly dirty: number[] = [];

  /**
   * Only the header, section table and named sections of an uncompressed module (see
   * readModuleSections); the buffer is reused by the next call.
   */
  readSections(entry: ModuleFileEntry, sections: readonly string[]): Buffer | NotRegularFile {
    return readModuleSections(entry, sections, (size) => {
      this.reserve(size);
      this.clean();
      return this.buffer;
    }, this.dirty);
  }

  read(entry: ModuleFileEntry): Buffer {
    let fd: number;
    try {
      fd = openRegularFile(entry.absolute).fd;
    } catch (error) {
      throw new ModbundleError("EIO", `${entry.absolute}: ${describeSystemError(error)}`);
    }
    try {
      const size = fs.fstatSync(fd).size;
      this.reserve(size);
      this.dirty.push(0, size);
      let done = 0;
      while (done < size) {
        const n = fs.readSync(fd, this.buffer, done, size - done, done);
        if (n === 0) throw new ModbundleError("EIO", `${entry.absolute}: file shrank while being read`);
        done += n;
      }
      return this.buffer.subarray(0, size);
    } catch (error) {
      if (error instanceof ModbundleError) throw error;
      throw new ModbundleError("EIO", `${entry.absolute}: ${describeSystemError(error)}`);
    } finally {
      fs.closeSync(fd);
    }
  }

  private reserve(size: number): void {
    if (size <= this.buffer.length) return;
    this.buffer = Buffer.alloc(Math.max(size, this.buffer.length * 2));
    this.dirty.length = 0;
  }

  /** Zeroes what the last read filled (a sixth of a module's bytes, where zeroing all would cost a read's worth). */
  private clean(): void {
    const dirty = this.dirty;
    for (let k = 0; k < dirty.length; k += 2) this.buffer.fill(0, dirty[k], Math.min(dirty[k] + dirty[k + 1], this.buffer.length));
    dirty.length = 0;
  }
}

/**
 * Only the header, section table and named sections of an uncompressed module (the rest zeros,
 * never another file's bytes); a compressed one whole. `bufferFor(size)` gives the buffer to read
 * into, at least `size` bytes and all zeros up to there; `filled` gets the [offset, length] pairs
 * written, for the caller to zero again before it reuses the buffer. What a file listed unchecked
 * is, is told by fstat of the open file rather than by a stat before the open: each resolves the
 * path (through a link, into the tree it points to), and on a tree of links the stats cost as
 * much as the opens. O_NONBLOCK: a FIFO must not block the open.
 */
export function readModuleSections(entry: ModuleFileEntry, sections: readonly string[], bufferFor: (size: number) => Buffer, filled: number[]): Buffer | NotRegularFile {
  let fd: number;
  try {
    fd = fs.openSync(entry.absolute, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    throw new ModbundleError("EIO", `${entry.absolute}: ${describeSystemError(error)}`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (entry.unchecked && !stat.isFile()) return stat.isDirectory() ? "directory" : "other";
    const size = stat.size;
    const buffer = bufferFor(size);
    const read = (offset: number, length: number): void => {
      filled.push(offset, length);
      let done = 0;
      while (done < length) {
        const n = fs.readSync(fd, buffer, offset + done, length - done, offset + done);
        if (n === 0) throw new ModbundleError("EIO", `${entry.absolute}: file shrank while being read`);
        done += n;
      }
    };
    return readElfParts(read, size, buffer, sections);
  } catch (error) {
    if (error instanceof ModbundleError) throw error;
    throw new ModbundleError("EIO", `${entry.absolute}: ${describeSystemError(error)}`);
  } finally {
    fs.closeSync(fd);
  }
}
