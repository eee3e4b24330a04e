import { ModbundleError } from "../errors";
import { MAX_MODULE_SIZE, decompress } from "../compress/decompress";
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
  } catch (error) {
    if (!(error instanceof ModbundleError)) throw error;
    return { object: NO_LINKAGE, found, broken: brokenReport(file, error) };
  }
  return parsePlain(plain, file, found, interner);
}

/**
 * parseTreeModule of an uncompressed file, done at once; undefined for any other, which needs
 * parseTreeModule. For depmod, which parses thousands of files one after another: each one
 * through parseTreeModule's chain of promises cost more than some of the parsing itself.
 */
export function parseTreeModuleNow(raw: Buffer, file: string, interner?: Interner): TreeModule | undefined {
  const found = detectCompression(raw.subarray(0, 6));
  // What decompress would say of a file this big is left to it.
  if (found !== "none" || raw.length > MAX_MODULE_SIZE) return undefined;
  return parsePlain(raw, file, found, interner);
}

function parsePlain(plain: Buffer, file: string, found: CompressionKind, interner: Interner | undefined): TreeModule {
  try {
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
