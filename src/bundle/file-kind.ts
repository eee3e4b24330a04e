import { detectCompression } from "../compress/kind";
import { CPIO_MAGIC } from "./cpio";

/**
 * What a file that is not a bundle seems to be, in words, for the message that refuses it: people
 * hand modbundle a compressed module, a .ko, a JSON file. Undefined when it starts like a cpio
 * archive or is something else, which the bundle reader's own checks then judge.
 */
export function describeNonBundle(head: Buffer): string | undefined {
  if (head.toString("latin1", 0, 4) === CPIO_MAGIC.slice(0, 4)) return undefined;
  const compression = detectCompression(head);
  if (compression !== "none") return `${compression === "xz" ? "an" : "a"} ${compression}-compressed file, not a bundle`;
  if (head.length >= 4 && head.readUInt32BE(0) === 0x7f454c46) return "an ELF file (a kernel module?), not a bundle; modinfo and insmod take module files";
  const text = head.toString("latin1");
  if (head.length > 0 && /^[\t\n\r\x20-\x7e]*$/.test(text)) return /^\s*[{[]/.test(text) ? "a JSON file, not a bundle" : "a text file, not a bundle";
  return undefined;
}
