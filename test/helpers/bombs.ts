import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { REPO_ROOT } from "./paths";

/**
 * Compressed data that decompresses to far more than it takes: for checking that decoders stop
 * at their bound. zstd and gzip are built here in a moment; xz comes from xz-utils (a stream of
 * zeros, cached under .cache/derived/ by its size, since xz takes seconds to make it).
 */
const MiB = 1024 * 1024;

/** A zstd frame without a declared size: `mib` MiB of one byte, as 128 KiB RLE blocks (4 bytes each). */
export function zstdBomb(mib: number, byte = 0): Buffer {
  const blocks = mib * 8;
  // Frame header: no content size, not single-segment, a 128 KiB window (exponent 7).
  const out = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3])];
  for (let i = 0; i < blocks; i++) {
    const header = (i === blocks - 1 ? 1 : 0) | (1 << 1) | (131072 << 3);
    out.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, byte]));
  }
  return Buffer.concat(out);
}

/** A single-segment zstd frame that declares `declared` bytes of content and holds one byte. */
export function zstdClaiming(declared: bigint): Buffer {
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(declared);
  // Content size in 8 bytes (flag 3), single segment; one last RLE block of 1 byte.
  return Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0]), size, Buffer.from([1 | (1 << 1) | (1 << 3), 0, 0, 0x41])]);
}

/** gzip members of 1 MiB of zeros, `mib` of them back to back (one stream to gunzip). */
export function gzipBomb(mib: number): Buffer {
  const member = zlib.gzipSync(Buffer.alloc(MiB), { level: 9 });
  return Buffer.concat(Array.from({ length: mib }, () => member));
}

/** An xz stream of `mib` MiB of zeros (made once by xz-utils and cached). */
export function xzBomb(mib: number): Buffer {
  const file = path.join(REPO_ROOT, ".cache", "derived", "bombs", `zeros-${mib}MiB-xz0.xz`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    const made = spawnSync("sh", ["-c", `head -c ${mib}M /dev/zero | xz -0 -T1 -c > "$1"`, "sh", temp]);
    if (made.status !== 0) throw new Error(`xz: ${made.stderr.toString()}`);
    fs.renameSync(temp, file);
  }
  return fs.readFileSync(file);
}
