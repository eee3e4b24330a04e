import { Bundle } from "../../src/bundle/reader";
import { FileSource } from "../../src/io/byte-source";

/**
 * Read errors for a guest's disk: QEMU's blkdebug driver between the raw format and the image
 * fails every read that overlaps a listed sector (QEMU's docs/devel/blkdebug.txt). The sectors
 * are found on the host, from the bundle's own header and index.
 */
const SECTOR = 512;
const EIO = 5;

export interface Span {
  readonly offset: number;
  readonly length: number;
}

/** Where a member's data and where the index lie in `bundle`. */
export function bundleSpans(bundle: string, memberPath: string): { member: Span; index: Span } {
  const opened = Bundle.open(FileSource.open(bundle));
  try {
    const member = opened.index.findMember(memberPath);
    if (!member) throw new Error(`${bundle} has no member ${memberPath}`);
    return {
      member: { offset: member.offset, length: member.size },
      index: { offset: opened.header.indexOffset, length: opened.header.indexLength },
    };
  } finally {
    opened.close();
  }
}

/** Every sector that holds a byte of `span`. */
export function sectorsOf(span: Span): number[] {
  const first = Math.floor(span.offset / SECTOR);
  const last = Math.floor((span.offset + span.length - 1) / SECTOR);
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** Whether two spans share a page of the guest's page cache (4 KiB): a read of one could hit the other's error. */
export function sharePage(a: Span, b: Span, page = 4096): boolean {
  const pages = (s: Span): [number, number] => [Math.floor(s.offset / page), Math.floor((s.offset + s.length - 1) / page)];
  const [a0, a1] = pages(a);
  const [b0, b1] = pages(b);
  return a0 <= b1 && b0 <= a1;
}

/** A configuration that fails every read touching one of `sectors` with EIO, every time (once=off). */
export function blkdebugConfig(sectors: readonly number[]): string {
  return sectors.map((sector) => `[inject-error]\nevent = "read_aio"\nerrno = "${EIO}"\nsector = "${sector}"\nonce = "off"\n`).join("\n");
}

/** The drive's file= value: QEMU's "blkdebug:CONFIG:IMAGE", where neither path may hold ':' or ','. */
export function blkdebugDrive(config: string, image: string): string {
  for (const file of [config, image]) {
    if (/[:,]/.test(file)) throw new Error(`a blkdebug drive cannot name ${file} (':' or ',')`);
  }
  return `blkdebug:${config}:${image}`;
}
