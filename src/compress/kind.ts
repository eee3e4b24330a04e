/**
 * Compression is told by magic bytes, never by file name, as kmod does (libkmod-file.c): a
 * `.ko.xz` that holds plain ELF is plain ELF.
 */
export type CompressionKind = "none" | "xz" | "zstd" | "gzip";

export const COMPRESSION_KINDS: readonly CompressionKind[] = ["none", "xz", "zstd", "gzip"];

const MAGICS: ReadonlyArray<[CompressionKind, readonly number[]]> = [
  ["zstd", [0x28, 0xb5, 0x2f, 0xfd]],
  ["xz", [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ["gzip", [0x1f, 0x8b]],
];

export function detectCompression(head: Uint8Array): CompressionKind {
  for (const [kind, magic] of MAGICS) {
    if (head.length >= magic.length && magic.every((byte, i) => head[i] === byte)) return kind;
  }
  return "none";
}

/** The file name extension a member of this compression carries (".ko" + this). */
export function compressionExtension(kind: CompressionKind): string {
  switch (kind) {
    case "none":
      return "";
    case "xz":
      return ".xz";
    case "zstd":
      return ".zst";
    case "gzip":
      return ".gz";
  }
}

/** Index codes; stable, part of the bundle format. */
export function compressionCode(kind: CompressionKind): number {
  return COMPRESSION_KINDS.indexOf(kind);
}

export function compressionFromCode(code: number): CompressionKind | undefined {
  return COMPRESSION_KINDS[code];
}
