import { ElfFile } from "../elf/elf-file";
import { SignatureInfo, readSignatureInfo } from "../elf/signature";

/**
 * A module's information as kmod_module_get_info lists it: every `.modinfo` string split into a
 * key and a value, in section order, then the signature's fields when the module is signed.
 * Strings are byte strings (latin1) so that any byte a module carries is printed unchanged.
 */
export interface InfoField {
  readonly key: string;
  readonly value: string;
}

/**
 * A failure kmod reports as "could not get modinfo from '%s': %s": an errno name (strerror gives
 * the text), or for failures kmod cannot have (a bad bundle member), modbundle's own message.
 */
export class InfoError extends Error {
  constructor(
    readonly errno: string,
    readonly reason?: string,
  ) {
    super(reason ?? errno);
    this.name = "InfoError";
  }
}

/**
 * kmod_elf_get_strings: leading NULs skipped; what is left, if longer than one byte, split at
 * runs of NULs (an unterminated last string counts too).
 */
export function splitModinfoStrings(section: Buffer): string[] {
  let start = 0;
  while (start < section.length - 1 && section[start] === 0) start++;
  if (section.length - start <= 1) return [];
  const out: string[] = [];
  while (start < section.length) {
    let end = section.indexOf(0, start);
    if (end < 0) end = section.length;
    if (end > start) out.push(section.toString("latin1", start, end));
    start = end + 1;
  }
  return out;
}

/** "key=value" at the first '='; a string without one is a key with an empty value. */
export function toFields(strings: readonly string[]): InfoField[] {
  return strings.map((s) => {
    const eq = s.indexOf("=");
    return eq < 0 ? { key: s, value: "" } : { key: s.slice(0, eq), value: s.slice(eq + 1) };
  });
}

/** kmod_module_hex_to_str: "AA:BB:..", a line break and two tabs after every 20 bytes. */
export function hexString(bytes: Buffer): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    out += bytes[i].toString(16).toUpperCase().padStart(2, "0");
    if (i < bytes.length - 1) {
      out += ":";
      if ((i + 1) % 20 === 0) out += "\n\t\t";
    }
  }
  return out;
}

export function signatureFields(sig: SignatureInfo): InfoField[] {
  // The signer is printed with %s: it ends at its first NUL.
  const nul = sig.signer.indexOf(0);
  return [
    { key: "sig_id", value: sig.idType },
    { key: "signer", value: sig.signer.toString("latin1", 0, nul < 0 ? sig.signer.length : nul) },
    { key: "sig_key", value: hexString(sig.keyId) },
    { key: "sig_hashalgo", value: sig.hashAlgo },
    { key: "signature", value: hexString(sig.signature) },
  ];
}

/**
 * kmod_elf_new's verdict on bytes that are not a module kmod can read: ENOEXEC without the ELF
 * magic, EINVAL for a malformed header or section table (kmod also wants the exact section
 * header size and a NUL-terminated section name table).
 */
function openElf(data: Buffer, name: string): ElfFile {
  if (data.length <= 16 || data.readUInt32BE(0) !== 0x7f454c46) throw new InfoError("ENOEXEC");
  let elf: ElfFile;
  try {
    elf = new ElfFile(data, name);
  } catch {
    throw new InfoError("EINVAL");
  }
  const shentsize = elf.u16(elf.is64 ? 0x3a : 0x2e);
  const shstrndx = elf.u16(elf.is64 ? 0x3e : 0x32);
  const names = elf.sectionAt(shstrndx);
  if (shentsize !== (elf.is64 ? 64 : 40) || !names || names.size === 0 || data[names.offset + names.size - 1] !== 0) {
    throw new InfoError("EINVAL");
  }
  return elf;
}

/** The information of a module object (decompressed): `.modinfo`, then the signature. */
export function moduleFileInfo(data: Buffer, name: string): InfoField[] {
  const elf = openElf(data, name);
  const section = elf.section(".modinfo");
  if (!section) throw new InfoError("ENOENT");
  const fields = toFields(splitModinfoStrings(elf.contents(section)));
  const sig = readSignatureInfo(data);
  return sig ? [...fields, ...signatureFields(sig)] : fields;
}
