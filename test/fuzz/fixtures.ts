import * as fs from "node:fs";
import * as path from "node:path";
import { ElfFile } from "../../src/elf/elf-file";
import { readSignatureHeader } from "../../src/elf/signature";
import { buildModule } from "../helpers/elf-builder";
import { REPO_ROOT } from "../helpers/paths";

/**
 * The real inputs the fuzz targets mutate: modules of Debian's amd64 (ELF64 little-endian), i386
 * (ELF32 little-endian) and s390x (ELF64 big-endian) kernels, fetched into .cache/kernel/ by
 * scripts/fetch-kernel.sh, and synthetic modules of all four class and byte-order combinations
 * from the ELF builder. A missing kernel fails under CI and is left out elsewhere.
 */
export interface ModuleSample {
  readonly name: string;
  readonly data: Buffer;
  /** Ranges the parser trusts most: ELF header, section table, the sections read, the signature trailer. */
  readonly hot: ReadonlyArray<readonly [number, number]>;
}

export const FUZZ_ARCHES = ["amd64", "i386", "s390x"] as const;
const REAL_MODULES = ["kernel/drivers/net/dummy.ko", "kernel/crypto/crc32_generic.ko", "kernel/drivers/block/loop.ko", "kernel/net/key/af_key.ko"];
const READ_SECTIONS = [".modinfo", "__ksymtab_strings", ".symtab", ".strtab", "__versions", ".gnu.linkonce.this_module", "__ksymtab", "__ksymtab_gpl"];

export function kernelModuleDir(arch: string): string | undefined {
  const modules = path.join(REPO_ROOT, ".cache", "kernel", arch, "root", "lib", "modules");
  const versions = fs.existsSync(modules) ? fs.readdirSync(modules) : [];
  if (versions.length === 1) return path.join(modules, versions[0]);
  if (process.env.CI === "true") throw new Error(`kernel fixture for ${arch} missing: run scripts/fetch-kernel.sh ${arch}`);
  return undefined;
}

function hotRanges(data: Buffer, name: string): Array<readonly [number, number]> {
  const elf = new ElfFile(data, name);
  const shoff = elf.is64 ? elf.u64(0x28) : elf.u32(0x20);
  const shentsize = elf.u16(elf.is64 ? 0x3a : 0x2e);
  const ranges: Array<readonly [number, number]> = [[0, elf.is64 ? 64 : 52], [shoff, shoff + elf.sectionCount * shentsize]];
  for (const section of READ_SECTIONS) {
    const found = elf.section(section);
    if (found) ranges.push([found.offset, found.offset + Math.min(found.size, 4096)]);
  }
  const signature = readSignatureHeader(data);
  if (signature) ranges.push([signature.offset - signature.signatureLength, data.length]);
  return ranges;
}

function sample(name: string, data: Buffer): ModuleSample {
  return { name, data, hot: hotRanges(data, name) };
}

function syntheticModules(): ModuleSample[] {
  const out: ModuleSample[] = [];
  for (const is64 of [true, false]) {
    for (const bigEndian of [false, true]) {
      const data = buildModule({
        is64,
        bigEndian,
        modinfo: ["name=synthetic", "license=GPL", "alias=pci:v00001234d*sv*sd*bc*sc*i*", "softdep=pre: base post: extra", "depends=base", "parm=level:int"],
        exports: [{ name: "synthetic_fn", crc: 0x12345678 }, { name: "synthetic_other" }],
        crcMode: is64 ? "section" : "absolute",
        needs: [{ name: "base_fn" }, { name: "weak_fn", weak: true }],
        versions: [{ name: "module_layout", crc: 0xdeadbeef }, { name: "base_fn", crc: 1 }],
        trailer: Buffer.from("~Module signature appended~\n", "latin1"),
      });
      out.push(sample(`synthetic-elf${is64 ? 64 : 32}-${bigEndian ? "be" : "le"}.ko`, data));
    }
  }
  return out;
}

let cached: ModuleSample[] | undefined;

/** Real and synthetic module samples (read once per process). */
export function moduleSamples(): ModuleSample[] {
  if (cached) return cached;
  const out = syntheticModules();
  for (const arch of FUZZ_ARCHES) {
    const dir = kernelModuleDir(arch);
    if (!dir) continue;
    for (const relpath of REAL_MODULES) {
      const file = path.join(dir, relpath);
      if (fs.existsSync(file)) out.push(sample(`${arch}/${path.basename(relpath)}`, fs.readFileSync(file)));
    }
  }
  cached = out;
  return out;
}

/** The PKCS#7 signatures appended to the real modules. */
export function signatureSamples(): Array<{ name: string; data: Buffer }> {
  const out: Array<{ name: string; data: Buffer }> = [];
  for (const { name, data } of moduleSamples()) {
    const header = readSignatureHeader(data);
    if (header && header.idType === 2) out.push({ name, data: data.subarray(header.offset - header.signatureLength, header.offset) });
  }
  return out;
}
