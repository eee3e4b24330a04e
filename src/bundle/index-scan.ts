/**
 * The scans over whole tables that opening an index runs for every command: the string volume of
 * a table (IndexSections.checkStringVolume) and the layout of MODULES with the modules that have
 * softdep or weakdep values (ModuleTables.checkListsTile). In JavaScript they are loops of
 * thousands of records that start in the interpreter and make V8 compile them while they run (on-
 * stack replacement): a millisecond or more of every start-up. A small WebAssembly module runs
 * them at native speed over a copy of the table. The callers keep their JavaScript loops, which
 * run where WebAssembly is unavailable (node --jitless), on a big-endian host, and whenever the
 * module finds a record breaking a rule, so that the error names it exactly as before.
 */
import { HOST_LITTLE_ENDIAN } from "../util/host-endian";

/** The part of the WebAssembly API used here (the project's TypeScript libraries do not declare it). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
};

interface Memory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface Scanner {
  readonly memory: Memory;
  readonly sum: (p: number, n: number, stride: number, total: number) => number;
  readonly nonZero: (p: number, n: number, stride: number, out: number) => number;
  readonly tile: (p: number, n: number, named: number, members: number) => number;
}

/**
 * The module: it defines and exports its memory and exports sum, nonZero and tile (described with
 * their instructions in test/bundle/index-scan-module.ts, which assembles them; the tests check
 * that these are its bytes).
 */
export const SCAN_MODULE_BASE64 =
  "AGFzbQEAAAABEQJgBH9/f3wBfGAEf39/fwF/AwQDAAEBBQMBAAEHIQQGbWVtb3J5AgADc3VtAAAHbm9uWmVybwABBHRpbGUAAgqIAgMvACAAIAEgAmxqIQECQANAIAAgAU8NASADIAAoAgC4oCEDIAAgAmohAAwACwsgAwtAAQJ/AkADQCAEIAFPDQEgACgCAARAIAMgBDYCACADQQRqIQMgBUEBaiEFCyAAIAJqIQAgBEEBaiEEDAALCyAFC5QBAgJ/A34CQANAIAQgAU8NASAAKAIIIQUgBSADSQRAIAIgBWotAAAEQCAEDwsgAiAFakEBOgAACyAANQIMIAZSBEAgBA8LIAA1AhQgB1IEQCAEDwsgADUCHCEIIAggByAANQIYfFIEQCAEDwsgBiAANQIQfCEGIAggADUCIHwhByAAQSRqIQAgBEEBaiEEDAALCyABCw==";

const PAGE = 65536;

let scanner: Scanner | null | undefined;

function instance(): Scanner | undefined {
  if (scanner === undefined) {
    scanner = null;
    if (typeof WebAssembly === "object" && HOST_LITTLE_ENDIAN) {
      const compiled = new WebAssembly.Module(Buffer.from(SCAN_MODULE_BASE64, "base64"));
      scanner = new WebAssembly.Instance(compiled, {}).exports as unknown as Scanner;
    }
  }
  return scanner ?? undefined;
}

/** The scanner with `words` copied to address 0 and room for `extraBytes` after them, or undefined. */
function withTable(words: Uint32Array, extraBytes: number): Scanner | undefined {
  const s = instance();
  if (s === undefined) return undefined;
  const needed = words.byteLength + extraBytes;
  if (needed > s.memory.buffer.byteLength) {
    try {
      s.memory.grow(Math.ceil((needed - s.memory.buffer.byteLength) / PAGE));
    } catch {
      return undefined; // more than WebAssembly may address: the JavaScript loop runs instead
    }
  }
  new Uint32Array(s.memory.buffer, 0, words.length).set(words);
  return s;
}

/**
 * The sum, as the doubles a JavaScript loop adds, of `total` and words[k * stride + field] for
 * every whole record k of `stride` words in `words`, per field of `fields` in turn; undefined
 * when the module cannot run.
 */
export function sumFields(words: Uint32Array, stride: number, fields: readonly number[]): number | undefined {
  const s = withTable(words, 0);
  if (s === undefined) return undefined;
  const records = Math.floor(words.length / stride);
  let total = 0;
  for (const field of fields) total = s.sum(field * 4, records, stride * 4, total);
  return total;
}

export interface ModulesWithLists {
  readonly softdep: number[];
  readonly weakdep: number[];
}

/**
 * ModuleTables.checkListsTile's rules over MODULES (records of `moduleWords` words: member at 2,
 * dependency list at 3-4, softdep list at 5-6, weakdep list at 7-8), with `memberSlots` members
 * checked for being named twice: the modules with softdep values and with weakdep values when
 * every record keeps the rules, undefined when one does not or the module cannot run.
 */
export function scanModules(modules: Uint32Array, moduleWords: number, memberSlots: number): ModulesWithLists | undefined {
  if (moduleWords !== 9) return undefined;
  const records = Math.floor(modules.length / moduleWords);
  const named = modules.byteLength;
  const out = named + Math.ceil(memberSlots / 4) * 4;
  const s = withTable(modules, out - named + records * 8);
  if (s === undefined) return undefined;
  new Uint8Array(s.memory.buffer, named, memberSlots).fill(0);
  if (s.tile(0, records, named, memberSlots) !== records) return undefined;
  const softCount = s.nonZero(6 * 4, records, moduleWords * 4, out);
  const weakCount = s.nonZero(8 * 4, records, moduleWords * 4, out + softCount * 4);
  const found = new Uint32Array(s.memory.buffer, out, softCount + weakCount);
  return { softdep: Array.from(found.subarray(0, softCount)), weakdep: Array.from(found.subarray(softCount)) };
}
