import { ModbundleError } from "../errors";

/**
 * The modbundle file format, version 1 (man/modbundle.5 is the full description).
 *
 * A bundle is a newc cpio archive whose members are, in this order:
 *   ".modbundle"          directory
 *   ".modbundle/header"   HEADER_SIZE bytes, fixed: where the index is
 *   directories and files of the module tree, sorted by path (modules and the kernel's lists)
 *   ".modbundle/index"    the binary index (bundle/index-codec.ts)
 *   "TRAILER!!!"
 * The header member's data always starts at HEADER_DATA_OFFSET, so a reader finds the index with
 * two reads: the first FIRST_READ_SIZE bytes of the file, then the index itself.
 *
 * Header (all integers little-endian):
 *   0  8  magic "MODBUNDL"
 *   8  4  format version (FORMAT_VERSION)
 *  12  4  flags (0)
 *  16  8  byte offset of the index data in the file
 *  24  8  length of the index data
 *  32  8  length of the whole archive, trailer and padding included
 *  40  4  CRC-32 (zlib's) of the index's head and section table (each section has its own)
 *  44 28  reserved (0)
 */
export const FORMAT_VERSION = 1;
export const HEADER_MAGIC = "MODBUNDL";
export const HEADER_SIZE = 72;
export const META_DIR = ".modbundle";
export const HEADER_MEMBER = ".modbundle/header";
export const INDEX_MEMBER = ".modbundle/index";
/** Enough to hold the directory member, the header member's head and the header. */
export const FIRST_READ_SIZE = 512;

export interface BundleHeader {
  readonly version: number;
  readonly indexOffset: number;
  readonly indexLength: number;
  readonly archiveLength: number;
  readonly indexCrc32: number;
}

function u64(buffer: Buffer, at: number, what: string, where: string): number {
  const value = buffer.readBigUInt64LE(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ModbundleError("EBUNDLE", `${where}: ${what} ${value} is out of range`);
  }
  return Number(value);
}

export function encodeHeader(header: Omit<BundleHeader, "version">): Buffer {
  const out = Buffer.alloc(HEADER_SIZE);
  out.write(HEADER_MAGIC, 0, "latin1");
  out.writeUInt32LE(FORMAT_VERSION, 8);
  out.writeBigUInt64LE(BigInt(header.indexOffset), 16);
  out.writeBigUInt64LE(BigInt(header.indexLength), 24);
  out.writeBigUInt64LE(BigInt(header.archiveLength), 32);
  out.writeUInt32LE(header.indexCrc32, 40);
  return out;
}

export function decodeHeader(data: Buffer, where: string): BundleHeader {
  if (data.length < HEADER_SIZE) {
    throw new ModbundleError("EBUNDLE", `${where}: bundle header is ${data.length} bytes, expected ${HEADER_SIZE}`);
  }
  const magic = data.toString("latin1", 0, 8);
  if (magic !== HEADER_MAGIC) {
    throw new ModbundleError("EBUNDLE", `${where}: bad bundle header magic ${data.subarray(0, 8).toString("hex")}`);
  }
  const version = data.readUInt32LE(8);
  if (version !== FORMAT_VERSION) {
    throw new ModbundleError(
      "EBUNDLE",
      `${where}: unsupported bundle format version ${version} (this modbundle reads version ${FORMAT_VERSION})`,
    );
  }
  return {
    version,
    indexOffset: u64(data, 16, "index offset", where),
    indexLength: u64(data, 24, "index length", where),
    archiveLength: u64(data, 32, "archive length", where),
    indexCrc32: data.readUInt32LE(40),
  };
}
