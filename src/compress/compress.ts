import { spawnSync } from "node:child_process";
import zlib = require("node:zlib");
import { ModbundleError } from "../errors";
import { CompressionKind } from "./kind";

/**
 * Encoders for `pack --compress`. xz and zstd run the system's `xz` and `zstd` (Debian's
 * xz-utils and zstd): no maintained pure-JavaScript encoder of either exists that matches their
 * speed or ratio, and they are exactly what the kernel's `make modules_install` uses, with the
 * kernel's own settings, so a re-encoded member is what a kernel build would have produced.
 * gzip uses node:zlib at the kernel's level (9). Output is deterministic for a given input.
 */
const COMMANDS: Record<"xz" | "zstd", readonly string[]> = {
  // scripts/Makefile.modinst: xz --check=crc32 --lzma2=dict=1MiB; zstd at its default level.
  xz: ["xz", "--check=crc32", "--lzma2=dict=1MiB", "-c", "-T1"],
  zstd: ["zstd", "-q", "-c", "-T1"],
};

export function compress(kind: CompressionKind, data: Buffer, name: string): Buffer {
  switch (kind) {
    case "none":
      return data;
    case "gzip":
      return zlib.gzipSync(data, { level: 9 });
    case "xz":
    case "zstd": {
      const [command, ...args] = COMMANDS[kind];
      const result = spawnSync(command, args, { input: data, maxBuffer: data.length * 2 + (1 << 20) });
      if (result.error) {
        throw new ModbundleError("ECOMPRESS", `${name}: cannot run ${command}: ${result.error.message}`);
      }
      if (result.status !== 0) {
        const detail = result.stderr.toString("utf8").trim().split("\n")[0] ?? "";
        throw new ModbundleError("ECOMPRESS", `${name}: ${command} failed (exit ${result.status}) ${detail}`.trim());
      }
      return result.stdout;
    }
  }
}
