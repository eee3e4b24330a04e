import fs = require("node:fs");
import path = require("node:path");
import vm = require("node:vm");
import { createRequire } from "node:module";

/**
 * Loading the program's own files (a command, the kernel interface) through V8's code cache.
 *
 * Parsing and compiling a command's code is most of what start-up spends beyond Node's own
 * (bench/startup), and Node 20 keeps no compiled code between runs. So the build compiles each
 * file eagerly, every function included, and writes V8's code cache beside it (NAME.ARCH.cache);
 * loading the file with that cache skips the compiler.
 *
 * V8 checks a cache against its own version and flags, but of the source only its length, so the
 * cache must be tied to the file by us: the build starts the file with a key line (a hash of the
 * rest) and starts the cache with the same line. A cache whose key differs, or that V8 rejects,
 * is ignored and the file compiled as usual.
 */
export const CACHE_KEY_PREFIX = "//modbundle-code-cache-key:";
const KEY_LINE_LENGTH = CACHE_KEY_PREFIX.length + 16 + 1;

/** The wrapper Node puts around a CommonJS file, so that the cached code is a module function. */
function wrap(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}

/**
 * NAME.ARCH.cache: V8 checks a cache against its version and flags but not against the CPU it was
 * made for, and a cache written by x64's V8 crashed the same Node version on arm64 (in the arm64
 * QEMU guest). A tree built on one architecture and copied to another then simply has no cache.
 */
export function cacheFileOf(file: string, arch: string = process.arch): string {
  return file.replace(/\.js$/, `.${arch}.cache`);
}

/** The key line for `body` (the file's text without its key line). */
export function cacheKeyLine(body: string): string {
  const crypto = process.getBuiltinModule("node:crypto");
  return `${CACHE_KEY_PREFIX}${crypto.createHash("sha256").update(body).digest("hex").slice(0, 16)}\n`;
}

/**
 * V8's code cache of `source` with every function compiled (the build's side). --no-lazy is set
 * only while compiling: the cache records the flags in force when it is written, which must be
 * those of a normal run.
 */
export function createCodeCache(source: string, filename: string): Buffer {
  const v8 = process.getBuiltinModule("node:v8");
  v8.setFlagsFromString("--no-lazy");
  let script: vm.Script;
  try {
    script = new vm.Script(wrap(source), { filename });
  } finally {
    v8.setFlagsFromString("--lazy");
  }
  return Buffer.concat([Buffer.from(source.slice(0, KEY_LINE_LENGTH), "latin1"), script.createCachedData()]);
}

function readCache(file: string, source: string): Buffer | undefined {
  if (!source.startsWith(CACHE_KEY_PREFIX)) return undefined;
  let cache: Buffer;
  try {
    cache = fs.readFileSync(cacheFileOf(file));
  } catch {
    return undefined;
  }
  if (cache.length <= KEY_LINE_LENGTH || cache.toString("latin1", 0, KEY_LINE_LENGTH) !== source.slice(0, KEY_LINE_LENGTH)) return undefined;
  return cache.subarray(KEY_LINE_LENGTH);
}

/** Whether V8 accepts `file`'s cache (for the build's check, in a fresh process). */
export function codeCacheAccepted(file: string): boolean {
  const source = fs.readFileSync(file, "utf8");
  const cachedData = readCache(file, source);
  return cachedData !== undefined && !new vm.Script(wrap(source), { filename: file, cachedData }).cachedDataRejected;
}

const loaded = new Map<string, unknown>();

/** Loads one of the program's own CommonJS files, with its code cache when there is a good one. */
export function loadOwnModule<T>(file: string): T {
  let exports = loaded.get(file);
  if (exports === undefined) {
    const source = fs.readFileSync(file, "utf8");
    const script = new vm.Script(wrap(source), { filename: file, cachedData: readCache(file, source) });
    const module = { exports: {} };
    (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
    exports = module.exports;
    loaded.set(file, exports);
  }
  return exports as T;
}

/**
 * Starts one of the program's own files as a worker thread. The single executable, which has no
 * such files, replaces this module (src/sea/own-modules.ts) and starts the same code from itself.
 */
export function startOwnWorker(file: string, options?: import("node:worker_threads").WorkerOptions): import("node:worker_threads").Worker {
  const { Worker } = process.getBuiltinModule("node:worker_threads");
  return new Worker(file, options);
}
