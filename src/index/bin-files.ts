import { moduleNameFromPath, normalizeAlias } from "../util/modname";
import { KmodBinFile } from "./kmod-trie-format";
import { KmodTrieWriter } from "./kmod-trie-writer";
import { depLines } from "./dep-lines";
import { IndexAlias, IndexSymbol, ModuleIndex } from "./types";

/**
 * kmod's binary index files, written from the index as Debian's depmod (kmod 30) writes them
 * (tools/depmod.c output_deps_bin, output_aliases_bin, output_symbols_bin, output_builtin_bin,
 * output_builtin_alias_bin). The two builtin files come from the kernel build's own lists, parsed
 * the way depmod reads them (which is not quite how modinfo does): a missing list gives an empty
 * file, as depmod leaves its temporary file empty.
 */
export interface BuiltinLists {
  readonly modulesBuiltin?: Buffer;
  readonly modulesBuiltinModinfo?: Buffer;
}

export function renderBinIndex(index: ModuleIndex, file: KmodBinFile, lists: BuiltinLists): Buffer {
  const trie = new KmodTrieWriter();
  const { modules } = index;
  switch (file) {
    case "modules.dep.bin":
      depLines(index).forEach((line, i) => trie.insert(modules[i].name, line, i));
      break;
    case "modules.alias.bin":
      return renderAliasBin(index.aliases);
    case "modules.symbols.bin":
      return renderSymbolsBin(index.symbols, modules.map((module) => module.name));
    case "modules.builtin.bin":
      if (lists.modulesBuiltin === undefined) return Buffer.alloc(0);
      for (const line of builtinLines(lists.modulesBuiltin)) trie.insert(moduleNameFromPath(line), "", 0);
      break;
    case "modules.builtin.alias.bin":
      if (lists.modulesBuiltinModinfo === undefined) return Buffer.alloc(0);
      for (const [module, pattern] of builtinAliases(lists.modulesBuiltinModinfo)) {
        const key = normalizeAlias(pattern);
        if (key !== undefined) trie.insert(key, module, 0);
      }
      break;
  }
  return trie.toBuffer();
}

/** modules.symbols.bin from the index's symbols and module names alone (what a second thread is given to write it). */
export function renderSymbolsBin(symbols: readonly IndexSymbol[], moduleNames: readonly string[]): Buffer {
  const trie = new KmodTrieWriter();
  for (const symbol of symbols) trie.insert(`symbol:${symbol.name}`, moduleNames[symbol.module], symbol.module);
  return trie.toBuffer();
}

/** modules.alias.bin from the index's aliases alone (what a second thread is given to write it). */
export function renderAliasBin(aliases: readonly IndexAlias[]): Buffer {
  const trie = new KmodTrieWriter();
  for (const alias of aliases) {
    if (alias.key !== undefined) trie.insert(alias.key, alias.target, alias.module);
  }
  return trie.toBuffer();
}

/** modules.builtin as fgets reads it (each line keeps its newline), lines not starting with a letter skipped. */
function builtinLines(text: Buffer): string[] {
  const lines: string[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf(0x0a, start);
    const end = nl < 0 ? text.length : nl + 1;
    const c = text[start];
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) lines.push(text.toString("latin1", start, end));
    start = end;
  }
  return lines;
}

/**
 * modules.builtin.modinfo as depmod's flush_stream_to walks it: "module" up to '.', "key" up to
 * '=', the value up to NUL; a field that ends early (at a NUL or the end) yields nothing, and a
 * key that is not "alias" skips to the next NUL (which, when the key itself ended at a NUL, is
 * the end of the following entry).
 */
function builtinAliases(data: Buffer): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let pos = 0;
  /**
   * The bytes up to `end` (consumed), or undefined when a NUL or the end of the data came first.
   * Found by indexOf, not byte by byte: this runs once, too briefly for V8 to compile the loop,
   * and interpreted, a byte loop over the file took some 15 ms.
   */
  const readTo = (end: number): string | undefined => {
    const start = pos;
    const nul = data.indexOf(0, start);
    let stop = nul < 0 ? data.length : nul;
    if (end !== 0) {
      const found = data.indexOf(end, start);
      if (found >= 0 && found < stop) stop = found;
    }
    if (stop >= data.length) {
      pos = data.length;
      return undefined;
    }
    pos = stop + 1;
    return data[stop] === end ? data.toString("latin1", start, stop) : undefined;
  };
  while (pos < data.length) {
    const module = readTo(0x2e);
    if (!module) continue;
    const key = readTo(0x3d) ?? "";
    if (key !== "alias") {
      readTo(0);
      continue;
    }
    const value = readTo(0);
    if (value) out.push([module, value]);
  }
  return out;
}
