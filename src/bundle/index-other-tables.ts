import { IndexDevname, IndexSymbol, ModuleIndex } from "../index/types";
import { IndexSections, Section, StringReferences } from "./index-sections";
import { StringPool, byteCompare, words } from "./index-strings";

/**
 * The small tables (strings in CORE_STRINGS unless said otherwise):
 *
 *   META             kernel version (string ref)
 *   SYMBOLS          (name, module) sorted by name bytes (strings in SYMBOL_STRINGS)
 *   BUILTIN          builtin module names sorted by bytes (strings in BUILTIN_STRINGS)
 *   DEVNAMES         module, devname, type ('c' or 'b'), major, minor
 */
const DEVNAME_WORDS = 6;

export const OTHER_RECORD_WORDS: Partial<Record<Section, number>> = {
  [Section.Meta]: 2,
  [Section.Symbols]: 3,
  [Section.Builtin]: 2,
  [Section.Devnames]: DEVNAME_WORDS,
};

export const OTHER_STRING_REFERENCES: Partial<Record<Section, StringReferences>> = {
  [Section.Meta]: { pool: Section.CoreStrings, recordWords: 2, lengthWords: [1] },
  [Section.Symbols]: { pool: Section.SymbolStrings, recordWords: 3, lengthWords: [1] },
  [Section.Builtin]: { pool: Section.BuiltinStrings, recordWords: 2, lengthWords: [1] },
  [Section.Devnames]: { pool: Section.CoreStrings, recordWords: DEVNAME_WORDS, lengthWords: [2] },
};

export function encodeMeta(index: ModuleIndex, pool: StringPool): Buffer {
  return words([...pool.ref(index.kernelVersion)]);
}

export function encodeSymbols(index: ModuleIndex, symbolPool: StringPool): Buffer {
  const symbols: number[] = [];
  for (const symbol of [...index.symbols].sort((a, b) => byteCompare(a.name, b.name))) symbols.push(...symbolPool.ref(symbol.name), symbol.module);
  return words(symbols);
}

export function encodeBuiltin(index: ModuleIndex, builtinPool: StringPool): Buffer {
  const builtin: number[] = [];
  for (const name of [...index.builtin].sort(byteCompare)) builtin.push(...builtinPool.ref(name));
  return words(builtin);
}

export function encodeDevnames(index: ModuleIndex, pool: StringPool): Buffer {
  const devnames: number[] = [];
  for (const d of index.devnames) devnames.push(d.module, ...pool.ref(d.devname), d.type.charCodeAt(0), d.major, d.minor);
  return words(devnames);
}

/** Reads the small tables; `moduleCount` bounds the module numbers they name. */
export class OtherTables {
  constructor(
    private readonly s: IndexSections,
    private readonly moduleCount: () => number,
  ) {}

  get kernelVersion(): string {
    const meta = this.s.table(Section.Meta);
    if (meta.length !== 2) throw this.s.corrupt("section Meta has the wrong size");
    return this.s.string(this.s.section(Section.CoreStrings), meta[0], meta[1]);
  }

  /** The module exporting this symbol, or -1. */
  findSymbol(name: string): number {
    const symbols = this.s.table(Section.Symbols);
    const found = this.s.search(name, symbols.length / 3, this.s.section(Section.SymbolStrings), (i) => i * 3, symbols);
    return found < 0 ? -1 : this.s.below(symbols[found * 3 + 2], this.moduleCount(), "symbol owner");
  }

  isBuiltin(name: string): boolean {
    const builtin = this.s.table(Section.Builtin);
    return this.s.search(name, builtin.length / 2, this.s.section(Section.BuiltinStrings), (i) => i * 2, builtin) >= 0;
  }

  symbols(): IndexSymbol[] {
    const symbolTable = this.s.table(Section.Symbols);
    const symbolStrings = this.s.section(Section.SymbolStrings);
    const symbols = [];
    for (let i = 0; i < symbolTable.length; i += 3) {
      symbols.push({ name: this.s.string(symbolStrings, symbolTable[i], symbolTable[i + 1]), module: this.s.below(symbolTable[i + 2], this.moduleCount(), "symbol owner") });
    }
    return symbols;
  }

  builtin(): string[] {
    const builtinTable = this.s.table(Section.Builtin);
    const builtinStrings = this.s.section(Section.BuiltinStrings);
    const builtin = [];
    for (let i = 0; i < builtinTable.length; i += 2) builtin.push(this.s.string(builtinStrings, builtinTable[i], builtinTable[i + 1]));
    return builtin;
  }

  devnames(): IndexDevname[] {
    const d = this.s.table(Section.Devnames);
    const devnames = [];
    for (let i = 0; i < d.length; i += DEVNAME_WORDS) {
      if (d[i + 3] !== 0x63 && d[i + 3] !== 0x62) throw this.s.corrupt(`devname type ${d[i + 3]} is neither 'c' nor 'b'`);
      devnames.push({
        module: this.s.below(d[i], this.moduleCount(), "devname module"),
        devname: this.s.string(this.s.section(Section.CoreStrings), d[i + 1], d[i + 2]),
        type: d[i + 3] === 0x63 ? ("c" as const) : ("b" as const),
        major: d[i + 4],
        minor: d[i + 5],
      });
    }
    return devnames;
  }
}
