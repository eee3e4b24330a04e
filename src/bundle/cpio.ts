import { ModbundleError } from "../errors";

/**
 * The "newc" cpio header codec (magic 070701): pure encode/decode, no I/O. A header is 110 ASCII
 * bytes, thirteen 8-digit hex fields after the magic; the NUL-terminated name follows and is
 * padded so that header + name end on a 4-byte boundary, and so is the data.
 */
export const CPIO_MAGIC = "070701";
export const CPIO_HEADER_SIZE = 110;
export const CPIO_TRAILER_NAME = "TRAILER!!!";

export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFMT = 0o170000;

export interface CpioHeader {
  readonly ino: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly nlink: number;
  readonly mtime: number;
  readonly fileSize: number;
  readonly devMajor: number;
  readonly devMinor: number;
  readonly rdevMajor: number;
  readonly rdevMinor: number;
  readonly nameSize: number;
  readonly check: number;
}

const FIELDS: ReadonlyArray<keyof CpioHeader> = [
  "ino", "mode", "uid", "gid", "nlink", "mtime", "fileSize",
  "devMajor", "devMinor", "rdevMajor", "rdevMinor", "nameSize", "check",
];

export function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** Bytes from the start of a header to the start of its data. */
export function headerAndNameSize(nameSize: number): number {
  return CPIO_HEADER_SIZE + nameSize + pad4(CPIO_HEADER_SIZE + nameSize);
}

/** Total bytes one member occupies: header, name, padding, data, padding. */
export function memberSize(name: string, fileSize: number): number {
  return headerAndNameSize(Buffer.byteLength(name, "utf8") + 1) + fileSize + pad4(fileSize);
}

export interface MemberSpec {
  readonly name: string;
  readonly ino: number;
  readonly mode: number;
  readonly nlink: number;
  readonly mtime: number;
  readonly fileSize: number;
}

/** Header and name of one member, with the padding that puts its data on a 4-byte boundary. */
export function encodeMemberHead(spec: MemberSpec): Buffer {
  const name = Buffer.from(spec.name + "\0", "utf8");
  const header: CpioHeader = {
    ino: spec.ino, mode: spec.mode, uid: 0, gid: 0, nlink: spec.nlink, mtime: spec.mtime,
    fileSize: spec.fileSize, devMajor: 0, devMinor: 0, rdevMajor: 0, rdevMinor: 0,
    nameSize: name.length, check: 0,
  };
  let text = CPIO_MAGIC;
  for (const field of FIELDS) {
    const value = header[field];
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new ModbundleError("EBUNDLE", `${spec.name}: cpio field ${field} ${value} does not fit in 32 bits`);
    }
    text += value.toString(16).padStart(8, "0");
  }
  const out = Buffer.alloc(headerAndNameSize(name.length));
  out.write(text, 0, "latin1");
  name.copy(out, CPIO_HEADER_SIZE);
  return out;
}

export function decodeHeader(bytes: Buffer, where: string): CpioHeader {
  if (bytes.length < CPIO_HEADER_SIZE) {
    throw new ModbundleError("EBUNDLE", `${where}: truncated cpio header (${bytes.length} of ${CPIO_HEADER_SIZE} bytes)`);
  }
  const magic = bytes.toString("latin1", 0, 6);
  if (magic !== CPIO_MAGIC) {
    throw new ModbundleError("EBUNDLE", `${where}: not a newc cpio header (magic ${bytes.subarray(0, 6).toString("hex")}, expected ${Buffer.from(CPIO_MAGIC).toString("hex")})`);
  }
  const values: Record<string, number> = {};
  FIELDS.forEach((field, i) => {
    const text = bytes.toString("latin1", 6 + i * 8, 14 + i * 8);
    if (!/^[0-9a-fA-F]{8}$/.test(text)) {
      // Shown as hex: the bytes are the file's, and may hold newlines or escape sequences.
      throw new ModbundleError("EBUNDLE", `${where}: cpio field ${field} is not hexadecimal (bytes ${bytes.subarray(6 + i * 8, 14 + i * 8).toString("hex")})`);
    }
    values[field] = parseInt(text, 16);
  });
  return values as unknown as CpioHeader;
}

export function trailerHead(): Buffer {
  return encodeMemberHead({ name: CPIO_TRAILER_NAME, ino: 0, mode: 0, nlink: 1, mtime: 0, fileSize: 0 });
}
