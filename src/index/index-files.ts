import { BuiltinLists, renderBinIndex } from "./bin-files";
import { KmodBinFile } from "./kmod-trie-format";
import { TextIndexFile, renderTextIndex } from "./text-files";
import { ModuleIndex } from "./types";

/**
 * Every index file a module directory needs for kmod's tools, in the order depmod writes them:
 * the text files and the .bin files (which is what kmod's tools read), plus modules.weakdep.
 */
export type IndexFileName = TextIndexFile | KmodBinFile;

export const INDEX_FILE_ORDER: readonly IndexFileName[] = [
  "modules.dep",
  "modules.dep.bin",
  "modules.alias",
  "modules.alias.bin",
  "modules.softdep",
  "modules.weakdep",
  "modules.symbols",
  "modules.symbols.bin",
  "modules.builtin.bin",
  "modules.builtin.alias.bin",
  "modules.devname",
];

export interface IndexFile {
  readonly name: IndexFileName;
  readonly data: Buffer;
}

export function renderIndexFiles(index: ModuleIndex, lists: BuiltinLists): IndexFile[] {
  return INDEX_FILE_ORDER.map((name) => ({ name, data: renderIndexFile(index, name, lists) }));
}

export function renderIndexFile(index: ModuleIndex, name: IndexFileName, lists: BuiltinLists): Buffer {
  return name.endsWith(".bin") ? renderBinIndex(index, name as KmodBinFile, lists) : Buffer.from(renderTextIndex(index, name as TextIndexFile), "latin1");
}
