import fs = require("node:fs");
import vm = require("node:vm");

/**
 * Loading the program's own files (a command, the kernel interface) through V8's code cache.
 *
 * Parsing and compiling a command's code is most of what start-up spends beyond Node's own
 * (bench/startup), and Node 20 keeps no compiled code between runs. So the build compiles each
 * file eagerly, every function included, and writes V8's code cache beside it (NAME.ARCH.cache);
 * loading the file with that cache skips the compiler.
 *
 * Such a file is not a CommonJS module but the function Node would wrap one in, written out by
 * the build (wrapAsOwnModule): compiled as it is read, it is one flat string, where wrapping it
 * here would make V8 flatten a second copy, a young-generation allocation as large as the file
 * that, with the command's own, brought a garbage collection into every `modprobe` run.
 *
 * V8 checks a cache against its own version and flags, but of the source only its length, so the
 * cache must be tied to the file by us: the build starts the file with a key line (a hash of the
 * rest) and starts the cache with the same line. A cache whose key differs, or that V8 rejects,
 * is ignored and the file compiled as usual. A file without a key line is an ordinary CommonJS
 * file (the TypeScript compiler's output, which the tests run), and Node loads it.
 */
export const CACHE_KEY_PREFIX = "//modbundle-code-cache-key:";
const KEY_LINE_LENGTH = CACHE_KEY_PREFIX.length + 16 + 1;

/** The build's side: a bundled CommonJS file's text as an own module (see above). */
export function wrapAsOwnModule(body: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${body}\n})`;
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
 * V8's code cache of `source` (an own module's text) with every function compiled (the build's
 * side). --no-lazy is set only while compiling: the cache records the flags in force when it is
 * written, which must be those of a normal run.
 */
export function createCodeCache(source: string, filename: string): Buffer {
  const v8 = process.getBuiltinModule("node:v8");
  v8.setFlagsFromString("--no-lazy");
  let script: vm.Script;
  try {
    script = new vm.Script(source, { filename });
  } finally {
    v8.setFlagsFromString("--lazy");
  }
  return Buffer.concat([Buffer.from(source.slice(0, KEY_LINE_LENGTH), "latin1"), script.createCachedData()]);
}

/**
 * V8's code cache of `file` (an own module) holding the functions that `train` makes it compile
 * (the build's side, in a process of its own). The file is compiled lazily, as a command compiles
 * it without a cache, run, and its exports handed to `train`; the cache written afterwards holds
 * the functions compiled so far. For a command whose common runs are known (modprobe's lookups),
 * that is smaller than the eager cache, so quicker to read and deserialize, and a function it
 * lacks is compiled when first called.
 */
export async function createTrainedCodeCache(file: string, train: (exports: unknown) => Promise<void>): Promise<Buffer> {
  const source = fs.readFileSync(file, "utf8");
  const script = new vm.Script(source, { filename: file });
  const exports = runScript(script, file);
  await train(exports);
  return Buffer.concat([Buffer.from(source.slice(0, KEY_LINE_LENGTH), "latin1"), script.createCachedData()]);
}

/** Runs an own module's compiled text as runWithCodeCache does (which must stay self-contained). */
function runScript(script: vm.Script, file: string): unknown {
  const fileRequire = process.getBuiltinModule("node:module").createRequire(file);
  const module = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, fileRequire, module, file, process.getBuiltinModule("node:path").dirname(file));
  return module.exports;
}

/** The cache's code for `source` when it is there and its key line is the file's (self-contained). */
function readCache(file: string, source: string, keyPrefix: string): Buffer | undefined {
  if (!source.startsWith(keyPrefix)) return undefined;
  const keyLineLength = keyPrefix.length + 16 + 1;
  let cache: Buffer;
  try {
    cache = process.getBuiltinModule("node:fs").readFileSync(cacheFileOf(file));
  } catch {
    return undefined;
  }
  if (cache.length <= keyLineLength || cache.toString("latin1", 0, keyLineLength) !== source.slice(0, keyLineLength)) return undefined;
  return cache.subarray(keyLineLength);
}

/** Whether V8 accepts `file`'s cache (for the build's check, in a fresh process). */
export function codeCacheAccepted(file: string): boolean {
  const source = fs.readFileSync(file, "utf8");
  const cachedData = readCache(file, source, CACHE_KEY_PREFIX);
  return cachedData !== undefined && !new vm.Script(source, { filename: file, cachedData }).cachedDataRejected;
}

/**
 * Runs a file of ours, an own module with its code cache when there is a good one, or an
 * ordinary CommonJS file, and returns its exports. Like cacheFileOf and readCache, it uses nothing
 * but built-ins and its arguments: a worker thread runs their text (startOwnWorker), so that its
 * script is code-cached as well.
 */
function runWithCodeCache(file: string, keyPrefix: string): unknown {
  // The file's require: built-ins straight from Node, anything else through a real require made
  // when first needed (node:module, with the ES module loader it pulls in, is milliseconds of
  // start-up that a command requiring only built-ins need not pay).
  let fileRequire: NodeJS.Require | undefined;
  const full = (): NodeJS.Require => (fileRequire ??= process.getBuiltinModule("node:module").createRequire(file));
  const require = Object.assign((id: string): unknown => (id.startsWith("node:") ? process.getBuiltinModule(id) : full()(id)), {
    resolve: (id: string, options?: { paths?: string[] }) => full().resolve(id, options),
  });
  const source = process.getBuiltinModule("node:fs").readFileSync(file, "utf8");
  if (!source.startsWith(keyPrefix)) return full()(file);
  const script = new (process.getBuiltinModule("node:vm").Script)(source, { filename: file, cachedData: readCache(file, source, keyPrefix) });
  const module = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, require, module, file, process.getBuiltinModule("node:path").dirname(file));
  return module.exports;
}

const loaded = new Map<string, unknown>();

/** Loads one of the program's own files (see runWithCodeCache). */
export function loadOwnModule<T>(file: string): T {
  let found = loaded.get(file);
  if (found === undefined) {
    found = runWithCodeCache(file, CACHE_KEY_PREFIX);
    loaded.set(file, found);
  }
  return found as T;
}

/**
 * Starts one of the program's own files as a worker thread, with its code cache (the thread runs
 * the text of runWithCodeCache and what it calls). The single executable, which has no such files, replaces this module
 * (src/sea/own-modules.ts) and starts the same code from itself.
 */
export function startOwnWorker(file: string, options?: import("node:worker_threads").WorkerOptions): import("node:worker_threads").Worker {
  const { Worker } = process.getBuiltinModule("node:worker_threads");
  const parts = [cacheFileOf, readCache, runWithCodeCache].map((part) => part.toString()).join("\n");
  return new Worker(`${parts}\n${runWithCodeCache.name}(${JSON.stringify(file)}, ${JSON.stringify(CACHE_KEY_PREFIX)});`, { ...options, eval: true });
}
