import { strerror } from "../util/errno";
import { decompress } from "../compress/decompress";
import { CompressionKind } from "../compress/kind";
import { ElfFile, ElfSection } from "../elf/elf-file";
import { ModuleFile } from "../resolve/module-db";
import { LoadFlags, ModuleLoader } from "./kernel";

/**
 * The one place that turns a module's stored bytes into what the kernel gets, with kmod's rules
 * (libkmod-module.c kmod_module_insert_module, libkmod-elf.c kmod_elf_strip_*):
 * - finit_module takes the image as stored when it is uncompressed or compressed in the format
 *   the kernel decompresses itself (MODULE_INIT_COMPRESSED_FILE); any other compression is
 *   undone in user space first. Force flags travel as MODULE_INIT_IGNORE_* flags.
 * - init_module (kernels without finit_module) needs the plain image, and force flags become
 *   edits of a copy: __versions loses SHF_ALLOC, and .modinfo's "vermagic=..." is zeroed.
 */
export interface KernelImage {
  readonly image: Buffer;
  /** True when `image` is compressed in the kernel's own format (MODULE_INIT_COMPRESSED_FILE). */
  readonly compressed: boolean;
}

const SHF_ALLOC = 2;

export async function prepareImage(file: ModuleFile, kernelDecompresses: CompressionKind | undefined, label = "module"): Promise<KernelImage> {
  if (file.compression === "none") return { image: file.data, compressed: false };
  if (file.compression === kernelDecompresses) return { image: file.data, compressed: true };
  return { image: await decompress(file.compression, file.data, label, { expectedSize: file.plainSize }), compressed: false };
}

/**
 * Inserts a module the way insmod and modprobe do. Throws KernelError for the kernel's refusal,
 * ModbundleError when the stored bytes cannot be decoded.
 */
export async function insertModule(kernel: ModuleLoader, file: ModuleFile, params: string, flags: LoadFlags, label = "module"): Promise<void> {
  const prepared = await prepareImage(file, kernel.inKernelDecompression(), label);
  await kernel.loadModule(prepared.image, params, flags, prepared.compressed);
}

/**
 * The image for init_module: decompressed, then stripped as the force flags ask, on a copy. A
 * strip that finds nothing to strip is not an error: kmod reports it at INFO level (`info`) and
 * loads the image anyway, leaving the verdict to the kernel.
 */
export async function initModuleImage(
  image: Buffer,
  compression: CompressionKind,
  flags: LoadFlags,
  label = "module",
  info?: (message: string) => void,
): Promise<Buffer> {
  const plain = compression === "none" ? image : await decompress(compression, image, label);
  if (!flags.ignoreModversions && !flags.ignoreVermagic) return plain;
  const elf = new ElfFile(plain === image ? Buffer.from(image) : plain, label);
  if (flags.ignoreModversions && !stripSection(elf, "__versions")) info?.(`Failed to strip modversion: ${strerror("ENOENT")}`);
  if (flags.ignoreVermagic && !stripVermagic(elf)) info?.(`Failed to strip vermagic: ${strerror("ENOENT")}`);
  return elf.data;
}

/** kmod's elf_find_section: the first section of that name, whatever its type. */
function findSection(elf: ElfFile, name: string): ElfSection | undefined {
  for (let i = 1; i < elf.sectionCount; i++) {
    const section = elf.sectionAt(i);
    if (section?.name === name) return section;
  }
  return undefined;
}

/**
 * Clears SHF_ALLOC in the section's header, in place: the kernel looks only at allocated sections,
 * so a __versions section without the flag counts as absent. False when there is no such section.
 */
export function stripSection(elf: ElfFile, name: string): boolean {
  const section = findSection(elf, name);
  if (!section) return false;
  // sh_flags sits 8 bytes into the header in both classes (4 bytes wide in ELF32, 8 in ELF64);
  // SHF_ALLOC lives in its least significant byte.
  const lowByte = section.headerOffset + 8 + (elf.littleEndian ? 0 : elf.is64 ? 7 : 3);
  elf.range("section flags", lowByte, 1);
  elf.data[lowByte] &= ~SHF_ALLOC;
  return true;
}

/**
 * Zeroes the first "vermagic=..." string of .modinfo, in place, walking the strings exactly as
 * kmod_elf_strip_vermagic does (leading NUL padding skipped). An empty .modinfo counts as done;
 * no .modinfo, or no vermagic in it, gives false.
 */
export function stripVermagic(elf: ElfFile): boolean {
  const section = findSection(elf, ".modinfo");
  if (!section) return false;
  elf.range(".modinfo", section.offset, section.size);
  const data = elf.data;
  let start = section.offset;
  let size = section.size;
  if (size === 0) return true;
  while (data[start] === 0 && size > 1) {
    start++;
    size--;
  }
  if (size <= 1) return true;
  const end = start + size;
  const key = "vermagic=";
  for (let i = 0; i < size; i++) {
    const at = start + i;
    if (data[at] === 0 || i + 1 >= size || i + key.length >= size) continue;
    const nul = data.indexOf(0, at);
    const stringEnd = nul < 0 || nul > end ? end : nul;
    if (data.toString("latin1", at, at + key.length) !== key) {
      i += stringEnd - at;
      continue;
    }
    data.fill(0, at, stringEnd);
    return true;
  }
  return false;
}
