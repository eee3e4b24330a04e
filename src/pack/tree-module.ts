import { ModbundleError } from "../errors";
import { decompress } from "../compress/decompress";
import { CompressionKind, detectCompression } from "../compress/kind";
import { ElfFile } from "../elf/elf-file";
import { ModuleLinkage, NO_LINKAGE, readModuleLinkage } from "../elf/module-elf";
import { Interner } from "../util/interner";

/**
 * One module file of a tree, parsed as depmod parses it. A broken file (truncated, not ELF, a
 * compressed stream that does not decode or decodes past the bound) is not fatal: depmod reports
 * "failed to load symbols from FILE: REASON", lists the file in modules.dep with no dependencies
 * and goes on; pack does the same, storing the file as it is.
 */
export interface TreeModule {
  readonly object: ModuleLinkage;
  /** The compression the file's magic bytes tell. */
  readonly found: CompressionKind;
  /** The decompressed bytes; undefined when they could not be decoded. */
  readonly plain?: Buffer;
  /** Set for a broken file: the one-line report, naming it. */
  readonly broken?: string;
}

/** Symbol names go through `interner` (see readModuleLinkage). */
export async function parseTreeModule(raw: Buffer, file: string, interner?: Interner): Promise<TreeModule> {
  const found = detectCompression(raw.subarray(0, 6));
  let plain: Buffer | undefined;
  try {
    plain = await decompress(found, raw, file);
    return { object: readModuleLinkage(new ElfFile(plain, file), interner), found, plain };
  } catch (error) {
    if (!(error instanceof ModbundleError)) throw error;
    return { object: NO_LINKAGE, found, plain, broken: brokenReport(file, error) };
  }
}

/**
 * A file that could not be read at all, as depmod takes it (`modbundle depmod`; pack, which must
 * store the bytes, leaves such a file out instead): reported, listed with no dependencies.
 */
export function unreadableTreeModule(file: string, error: ModbundleError): TreeModule {
  return { object: NO_LINKAGE, found: "none", broken: brokenReport(file, error) };
}

function brokenReport(file: string, error: ModbundleError): string {
  const reason = error.message.startsWith(`${file}: `) ? error.message.slice(file.length + 2) : error.message;
  return `failed to load symbols from ${file}: ${reason}`;
}
