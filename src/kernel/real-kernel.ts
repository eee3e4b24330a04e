import fs = require("node:fs");
import path = require("node:path");
import { startOwnWorker } from "../code-cache";
import { strerror } from "../util/errno";
import { timingAdd, timingNow } from "../util/timing";
import { CompressionKind } from "../compress/kind";
import { InitState, Kernel, KernelError, LoadedModule, LoadFlags, LoadPool, RemoveFlags } from "./kernel";
import { FinitThread, ThreadLoadPool } from "./load-pool";
import { ThreadMessage } from "./load-protocol";
import { initModuleImage } from "./prepare-image";
import { bytesOf } from "../util/bytes";

/**
 * The kernel of the running system. State is read from ROOT/sys/module and ROOT/proc/modules the
 * way libkmod reads it (ROOT is "/" except in tests, which point it at a directory tree of their
 * own); loading and removing go through the module system calls, which are reached only from
 * loadModule and removeModule.
 */

/** The calls RealKernel makes; native-bindings/syscalls.ts by default, a recorder in tests. */
export interface ModuleSyscalls {
  memfdCreate(name: string, flags: number): number;
  finitModule(fd: number, params: string, flags: number): void;
  initModule(image: Buffer, params: string): void;
  deleteModule(name: string, flags: number): void;
}

/** include/uapi/linux/module.h */
export const MODULE_INIT_IGNORE_MODVERSIONS = 1;
export const MODULE_INIT_IGNORE_VERMAGIC = 2;
export const MODULE_INIT_COMPRESSED_FILE = 4;
/** include/uapi/linux/memfd.h */
export const MFD_CLOEXEC = 1;

export interface RealKernelOptions {
  /** Defaults to native-bindings/syscalls.ts, loaded on the first load or remove. */
  readonly syscalls?: ModuleSyscalls;
  /** Where libkmod's INFO messages go (a failed strip before init_module); dropped by default. */
  readonly info?: (message: string) => void;
  /** Starts a loading thread for parallelLoads; by default a worker running load-worker.js. */
  readonly startThread?: () => FinitThread;
}

const COMPRESSIONS: ReadonlySet<string> = new Set<CompressionKind>(["xz", "zstd", "gzip"]);

/**
 * Without an exception for a missing entry: a module that is not loaded has none, and a batch
 * asks about each of its modules, where Node's error objects cost seconds in an emulated guest.
 */
function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(bytesOf(dir), { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(bytesOf(file), "latin1");
  } catch {
    return undefined;
  }
}

/** kmod's read_str_long: a decimal number, optionally followed by white space. */
function parseLong(text: string | undefined): number | undefined {
  const match = text === undefined ? null : /^\s*([-+]?\d+)\s*$/.exec(text);
  return match ? Number(match[1]) : undefined;
}

export class RealKernel implements Kernel {
  private decompression: { kind: CompressionKind | undefined } | undefined;
  private syscallsInstance: ModuleSyscalls | undefined;
  private exitHooked = false;

  constructor(
    readonly root: string = "/",
    private readonly options: RealKernelOptions = {},
  ) {}

  private moduleDir(name: string): string {
    return path.join(this.root, "sys", "module", name);
  }

  initstate(name: string): InitState | undefined {
    const dir = this.moduleDir(name);
    // kmod reads initstate, then looks for the directory; asked the other way round (same
    // answers), a module that is not loaded costs one failed call, not two.
    if (!isDirectory(dir)) return undefined;
    const text = readText(path.join(dir, "initstate"));
    // A module directory without initstate is a module still being set up (kmod: "coming").
    if (text === undefined) return "coming";
    switch (text) {
      case "live\n":
        return "live";
      case "coming\n":
        return "coming";
      case "going\n":
        return "going";
      default:
        return undefined;
    }
  }

  refcnt(name: string): number | undefined {
    return parseLong(readText(path.join(this.moduleDir(name), "refcnt")));
  }

  holders(name: string): string[] | undefined {
    let dir: fs.Dir;
    try {
      dir = fs.opendirSync(bytesOf(path.join(this.moduleDir(name), "holders")), { encoding: "latin1" });
    } catch {
      return undefined;
    }
    // Directory order, as readdir(3) gives it to kmod (fs.readdirSync would sort the names).
    const names: string[] = [];
    try {
      for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) {
        if (entry.name !== "." && entry.name !== "..") names.push(entry.name);
      }
    } finally {
      dir.closeSync();
    }
    return names;
  }

  loadedModules(): LoadedModule[] {
    const procModules = path.join(this.root, "proc", "modules");
    let text: string;
    try {
      text = fs.readFileSync(procModules, "latin1");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "EIO";
      throw new KernelError(code, Math.abs((error as NodeJS.ErrnoException).errno ?? 5), `could not open /proc/modules: ${strerror(code)}`);
    }
    const sysfs = isDirectory(path.join(this.root, "sys", "module"));
    const modules: LoadedModule[] = [];
    for (const line of text.split("\n")) {
      const fields = line.split(/[ \t]+/);
      const name = fields[0];
      if (!name) continue;
      // With sysfs present, a module without its directory has been removed since /proc/modules
      // was read: it is left out rather than shown with made-up numbers (kmod #41).
      if (sysfs && !isDirectory(this.moduleDir(name))) continue;
      const size = parseLong(readText(path.join(this.moduleDir(name), "coresize"))) ?? parseLong(fields[1]) ?? -2;
      const refcnt = this.refcnt(name);
      const holders = this.holders(name) ?? [];
      if (sysfs && !isDirectory(this.moduleDir(name))) continue;
      modules.push({ name, size, refcnt, holders });
    }
    return modules;
  }

  inKernelDecompression(): CompressionKind | undefined {
    // Read once, as kmod reads it once per context: the answer cannot change while we run.
    if (!this.decompression) {
      const text = readText(path.join(this.root, "sys", "module", "compression"))?.trim();
      this.decompression = { kind: text !== undefined && COMPRESSIONS.has(text) ? (text as CompressionKind) : undefined };
    }
    return this.decompression.kind;
  }

  async loadModule(image: Buffer, params: string, flags: LoadFlags, compressed: boolean): Promise<void> {
    return this.loadWith(image, params, flags, compressed, (fd, p, f) => this.finitHere(fd, p, f));
  }

  /** finit_module on the calling thread. */
  finitHere(fd: number, params: string, flags: number): void {
    this.syscalls().finitModule(fd, params, flags);
  }

  /** Up to `jobs` loads at once: this thread and jobs - 1 loading threads (load-pool.ts). */
  parallelLoads(jobs: number): LoadPool {
    return new ThreadLoadPool(this, Math.max(0, jobs - 1), this.options.startThread ?? (() => this.startWorkerThread()));
  }

  private startWorkerThread(): FinitThread {
    if (!this.exitHooked) {
      // Threads that loaded ffi-napi crash when torn down: the process leaves with _exit(2).
      const syscalls = this.options.syscalls ? undefined : (loadSyscalls() as ModuleSyscalls & { exitNow(code: number): void });
      if (syscalls) process.once("exit", (code) => syscalls.exitNow(code));
      this.exitHooked = true;
    }
    return startWorkerThread();
  }

  /** A load whose finit_module call is made by `finit` (here, or on a loading thread). */
  async loadWith(image: Buffer, params: string, flags: LoadFlags, compressed: boolean, finit: (fd: number, params: string, flags: number) => Promise<void> | void): Promise<void> {
    const sys = this.syscalls();
    let kernelFlags = compressed ? MODULE_INIT_COMPRESSED_FILE : 0;
    if (flags.ignoreModversions) kernelFlags |= MODULE_INIT_IGNORE_MODVERSIONS;
    if (flags.ignoreVermagic) kernelFlags |= MODULE_INIT_IGNORE_VERMAGIC;
    try {
      const started = timingNow();
      const fd = sys.memfdCreate("modbundle", MFD_CLOEXEC);
      try {
        writeAll(fd, image);
        timingAdd("memfd", started);
        const called = timingNow();
        try {
          await finit(fd, params, kernelFlags);
        } finally {
          timingAdd("kernel", called);
        }
        return;
      } finally {
        fs.closeSync(fd);
      }
    } catch (error) {
      // Kernels before 3.8 (finit_module) or 3.17 (memfd_create) take the image from memory.
      if (!(error instanceof KernelError) || error.code !== "ENOSYS") throw error;
    }
    const kind = compressed ? (this.inKernelDecompression() ?? "none") : "none";
    sys.initModule(await initModuleImage(image, kind, flags, "module", this.options.info), params);
  }

  removeModule(name: string, flags: RemoveFlags): void {
    this.syscalls().deleteModule(name, fs.constants.O_NONBLOCK | (flags.force ? fs.constants.O_TRUNC : 0));
  }

  private syscalls(): ModuleSyscalls {
    if (!this.syscallsInstance) {
      this.syscallsInstance = this.options.syscalls ?? loadSyscalls();
    }
    return this.syscallsInstance;
  }
}

function loadSyscalls(): ModuleSyscalls {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("../../native-bindings/syscalls") as ModuleSyscalls;
}

/**
 * A worker thread running load-worker.js, which sits beside this file both in build/ (compiled
 * from src/kernel/) and in dist/kernel/ (bundled). A thread that fails or exits reports itself
 * broken, so that nothing waits for it.
 */
function startWorkerThread(): FinitThread {
  const worker = startOwnWorker(path.join(__dirname, "load-worker.js"));
  worker.unref();
  let listener: (message: ThreadMessage) => void = () => undefined;
  let ended = false;
  const broken = (message: string): void => {
    if (!ended) listener({ kind: "broken", message });
    ended = true;
  };
  // Unreferenced while idle (the process may end), referenced while a call is out.
  worker.on("message", (message: ThreadMessage) => {
    if (message.kind === "done") worker.unref();
    listener(message);
  });
  worker.on("error", (error: Error) => broken(error.message));
  worker.on("exit", (code: number) => broken(`loading thread exited (${code})`));
  return {
    listen: (l) => {
      listener = l;
    },
    post: (request) => {
      worker.ref();
      worker.postMessage(request);
    },
    // Not worker.terminate(): tearing down a thread that loaded ffi-napi crashes the process.
    // Idle, the thread is unreferenced already and ends with the process.
    terminate: async () => {
      ended = true;
      worker.unref();
    },
  };
}

/** The whole image into the memfd; a failure (ENOMEM, ENOSPC) is a KernelError like the calls'. */
function writeAll(fd: number, data: Buffer): void {
  try {
    for (let at = 0; at < data.length; ) at += fs.writeSync(fd, data, at, data.length - at);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const code = e.code ?? "EIO";
    throw new KernelError(code, Math.abs(e.errno ?? 5), `write to memfd: ${strerror(code)}`);
  }
}
