/**
 * kmod's binary index format (libkmod/libkmod-index.c), shared by its one writer
 * (kmod-trie-writer.ts) and its one reader (kmod-trie-reader.ts).
 *
 * A file maps byte-string keys to lists of (priority, value) pairs. Every integer is a u32,
 * big-endian. The head is three words: magic 0xB007F457, version 0x00020001 (major 2, minor 1;
 * readers check the major only), and the root node's offset word.
 *
 * An offset word holds a node's file offset in its low 28 bits and, in its high nibble, which
 * parts the node has: PREFIX (0x80000000), VALUES (0x40000000), CHILDS (0x20000000). Offset 0
 * means "no node". A node is, in this order, each part only when flagged:
 *
 *   prefix    NUL-terminated bytes: the rest of the arc that leads to the node (Patricia trie)
 *   children  u8 first, u8 last, then last - first + 1 offset words, one per byte in that range
 *   values    u32 count, then count times: u32 priority, NUL-terminated value
 *
 * A key is spelled by the bytes on the path from the root: each node's prefix, then the byte of
 * the child arc taken. A node's values are sorted by priority. kmod 30 (Debian's depmod) writes
 * the nodes post-order (children before parents, the root last); later kmods write pre-order.
 * Readers follow offsets, so either layout reads the same.
 *
 * depmod writes five such files: modules.dep.bin (module name -> its modules.dep line),
 * modules.alias.bin (normalised alias pattern -> module name, priority the module's depmod
 * position), modules.symbols.bin ("symbol:NAME" -> owner), modules.builtin.bin (builtin module
 * name -> ""), modules.builtin.alias.bin (normalised alias -> builtin module name, priority 0).
 */
export const KMOD_INDEX_MAGIC = 0xb007f457;
export const KMOD_INDEX_VERSION = 0x00020001;
export const KMOD_INDEX_MAJOR = 2;
export const NODE_PREFIX = 0x80000000;
export const NODE_VALUES = 0x40000000;
export const NODE_CHILDS = 0x20000000;
export const NODE_MASK = 0x0fffffff;
/** Keys are at most PATH_MAX bytes in kmod; a deeper trie is corrupt (and would loop). */
export const MAX_KEY_LENGTH = 4096;

/** The five files depmod writes, in its order. */
export const KMOD_BIN_FILES = [
  "modules.dep.bin",
  "modules.alias.bin",
  "modules.symbols.bin",
  "modules.builtin.bin",
  "modules.builtin.alias.bin",
] as const;
export type KmodBinFile = (typeof KMOD_BIN_FILES)[number];
