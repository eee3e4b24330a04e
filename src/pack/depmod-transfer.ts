import { DepmodModule } from "../index/depmod";
import { IndexAlias, IndexSymbol, ModuleIndex } from "../index/types";
import type { DepmodFile, NotAModuleFile, ParsedModule } from "./depmod-modules";

/**
 * What `modbundle depmod`'s two threads send each other, packed so that the copy costs little:
 * numbers in typed arrays (moved, not copied) and strings joined into one string each, split
 * apart on arrival (the names and values read from modules contain no NUL). Sent as objects, the
 * parsed modules (some 400,000 symbol names, each copied and made again) cost the main thread
 * more than parsing them itself.
 */
export interface ParsedBatch {
  /** Positions in the queue's files of the modules parsed, in the order below. */
  readonly positions: Int32Array;
  /** Per module: how many exports, needed, aliases, softdeps, weakdeps (five numbers). */
  readonly counts: Int32Array;
  /** Per module, its exports then its needed symbols, as positions in `names`. */
  readonly symbols: Int32Array;
  /** Every symbol name, once, NUL-separated. */
  readonly names: string;
  /** Per module, its aliases, softdeps and weakdeps, NUL-separated. */
  readonly values: string;
  /** The broken modules' reports, by position in the queue's files. */
  readonly broken: ReadonlyArray<readonly [number, string]>;
}

const FIELDS = 5;
const SEPARATOR = "\0";

/** A ParsedBatch made as the modules are parsed, so that little is left to do once they are. */
export class ParsedBatchWriter {
  private readonly positions: number[] = [];
  private readonly counts: number[] = [];
  private readonly symbols: number[] = [];
  private readonly nameIds = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly values: string[] = [];
  private readonly broken: Array<[number, string]> = [];

  /** A file that is no module file is left out: the main thread, finding it missing, looks at it itself. */
  add(position: number, parsed: ParsedModule | NotAModuleFile): void {
    if (typeof parsed === "string") return;
    const { module, broken } = parsed;
    this.positions.push(position);
    this.counts.push(module.exports.length, module.needed.length, module.aliases.length, module.softdeps.length, module.weakdeps.length);
    for (const name of module.exports) this.symbols.push(this.idOf(name));
    for (const name of module.needed) this.symbols.push(this.idOf(name));
    for (const value of module.aliases) this.values.push(value);
    for (const value of module.softdeps) this.values.push(value);
    for (const value of module.weakdeps) this.values.push(value);
    if (broken !== undefined) this.broken.push([position, broken]);
  }

  finish(): ParsedBatch {
    return {
      positions: Int32Array.from(this.positions),
      counts: Int32Array.from(this.counts),
      symbols: Int32Array.from(this.symbols),
      names: this.names.join(SEPARATOR),
      values: this.values.join(SEPARATOR),
      broken: this.broken,
    };
  }

  private idOf(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameIds.set(name, id);
    }
    return id;
  }
}

export function decodeParsed(batch: ParsedBatch, files: readonly DepmodFile[]): Map<number, ParsedModule> {
  const names = batch.names.split(SEPARATOR);
  const values = batch.values.split(SEPARATOR);
  const broken = new Map(batch.broken);
  const { positions, counts, symbols } = batch;
  const out = new Map<number, ParsedModule>();
  let s = 0;
  let v = 0;
  const take = <T>(n: number, from: (k: number) => T): T[] => {
    const list = new Array<T>(n);
    for (let k = 0; k < n; k++) list[k] = from(k);
    return list;
  };
  for (let k = 0; k < positions.length; k++) {
    const at = k * FIELDS;
    const exports = take(counts[at], (j) => names[symbols[s + j]]);
    s += counts[at];
    const needed = take(counts[at + 1], (j) => names[symbols[s + j]]);
    s += counts[at + 1];
    const aliases = values.slice(v, (v += counts[at + 2]));
    const softdeps = values.slice(v, (v += counts[at + 3]));
    const weakdeps = values.slice(v, (v += counts[at + 4]));
    const module: DepmodModule = { path: files[positions[k]].relpath, exports, needed, aliases, softdeps, weakdeps };
    const report = broken.get(positions[k]);
    out.set(positions[k], report === undefined ? { module } : { module, broken: report });
  }
  return out;
}

/** What the worker needs to write modules.alias.bin and modules.symbols.bin. */
export interface BinsRequest {
  /** The aliases with a valid key: keys NUL-separated, and their modules. */
  readonly aliasKeys: string;
  readonly aliasModules: Int32Array;
  readonly symbolNames: string;
  readonly symbolModules: Int32Array;
  readonly moduleNames: string;
}

export function encodeBinsRequest(index: ModuleIndex): BinsRequest {
  const keyed = index.aliases.filter((alias) => alias.key !== undefined);
  return {
    aliasKeys: keyed.map((alias) => alias.key).join(SEPARATOR),
    aliasModules: Int32Array.from(keyed, (alias) => alias.module),
    symbolNames: index.symbols.map((symbol) => symbol.name).join(SEPARATOR),
    symbolModules: Int32Array.from(index.symbols, (symbol) => symbol.module),
    moduleNames: index.modules.map((module) => module.name).join(SEPARATOR),
  };
}

/** The request's aliases, symbols and module names, as renderAliasBin and renderSymbolsBin take them. */
export function decodeBinsRequest(request: BinsRequest): { aliases: IndexAlias[]; symbols: IndexSymbol[]; moduleNames: string[] } {
  const moduleNames = request.moduleNames.split(SEPARATOR);
  const keys = request.aliasModules.length === 0 ? [] : request.aliasKeys.split(SEPARATOR);
  const symbolNames = request.symbolModules.length === 0 ? [] : request.symbolNames.split(SEPARATOR);
  const aliases = keys.map((key, k): IndexAlias => {
    const module = request.aliasModules[k];
    return { pattern: key, key, module, target: moduleNames[module] };
  });
  const symbols = symbolNames.map((name, k): IndexSymbol => ({ name, module: request.symbolModules[k] }));
  return { aliases, symbols, moduleNames };
}
