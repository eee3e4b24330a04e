import fs = require("node:fs");
import { FsPath } from "../util/bytes";

/**
 * Opening a bundle or a module file: only a regular file (or, for a bundle, a block device) is
 * read. The file is opened with O_NONBLOCK, so that a FIFO or a device cannot block the open, and
 * its type is taken from fstat of the descriptor itself, so that nothing can be swapped in between
 * a check and the open. With `noFollow`, a symbolic link as the last component is refused (ELOOP).
 * Errors are errno-style (code, message "CODE: text"), as Node's own, for callers that map errno
 * codes to kmod's messages.
 */
export interface RegularFileOptions {
  readonly allowBlockDevice?: boolean;
  readonly noFollow?: boolean;
}

function errnoError(code: string, text: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${text}`), { code });
}

export function openRegularFile(file: FsPath, options: RegularFileOptions = {}): { readonly fd: number; readonly stat: fs.Stats } {
  const { O_RDONLY, O_NONBLOCK, O_NOFOLLOW } = fs.constants;
  const fd = fs.openSync(file, O_RDONLY | O_NONBLOCK | (options.noFollow ? O_NOFOLLOW : 0));
  try {
    const stat = fs.fstatSync(fd);
    if (stat.isDirectory()) throw errnoError("EISDIR", "is a directory");
    if (!stat.isFile() && !(options.allowBlockDevice && stat.isBlockDevice())) {
      throw errnoError("EINVAL", options.allowBlockDevice ? "not a regular file or block device" : "not a regular file");
    }
    return { fd, stat };
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

/** The whole of a regular file (see openRegularFile). */
export function readRegularFile(file: FsPath, options: RegularFileOptions = {}): Buffer {
  const { fd } = openRegularFile(file, { ...options, allowBlockDevice: false });
  try {
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
