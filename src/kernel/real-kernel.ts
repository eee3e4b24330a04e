import fs = require("node:fs");
import path = require("node:path");
import { strerror } from "../util/errno";
import { timingAdd, timingMark, timingNow } from "../util/timing";
import { CompressionKind } from "../compress/kind";
import { InitState, Kernel, KernelError, LoadedModule, LoadFlags, ModuleLoader, RemoveFlags } from "./kernel";
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
  /**
   * finit_module on another thread, rejecting with its own errno; or why it cannot be had (then
   * loads stay on the main thread, one at a time). Absent: never.
   */
  finitModuleAsync?(): FinitCall | string;
}

type FinitCall = (fd: number, params: string, flags: number) => Promise<void> | void;

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
  private finitCalled = false;
  /** memfds whose load is over, for the next loads (see takeMemfd). */
  private readonly spareMemfds: number[] = [];
  private spareRelease: NodeJS.Immediate | undefined;
  private sysModule: string | undefined;

  constructor(
    readonly root: string = "/",
    private readonly options: RealKernelOptions = {},
  ) {}

  /**
   * ROOT/sys/module/NAME, put together as kmod's snprintf does: a batch asks about hundreds of
   * modules, and path.join's normalising was near half of each ask's time in a profile.
   */
  private moduleDir(name: string): string {
    this.sysModule ??= path.join(this.root, "sys", "module");
    return `${this.sysModule}/${name}`;
  }

  initstate(name: string): InitState | undefined {
    const dir = this.moduleDir(name);
    // kmod reads initstate, then looks for the directory; asked the other way round (same
    // answers), a module that is not loaded costs one failed call, not two.
    if (!isDirectory(dir)) return undefined;
    const text = readText(`${dir}/initstate`);
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
    return this.loadWith(image, params, flags, compressed, (fd, p, f) => this.syscalls().finitModule(fd, p, f));
  }

  /**
   * Up to `jobs` loads at once: each finit_module runs on libuv's thread pool through ffi-napi's
   * `.async` (native-bindings/syscalls.ts finitModuleAsync), while this thread reads modules and
   * fills memfds. Undefined when that is not available (no stub for this architecture, an
   * executable mapping refused, no ffi-napi): the caller loads one module at a time.
   */
  parallelLoads(jobs: number): ModuleLoader | undefined {
    let finit: FinitCall | string | undefined;
    try {
      finit = this.syscalls().finitModuleAsync?.();
    } catch (error) {
      // No system calls at all (no ffi-napi, MODBUNDLE_NO_SYSCALLS): the serial loads say why.
      finit = error instanceof Error ? error.message : String(error);
    }
    if (typeof finit !== "function") {
      timingMark(`serial loads: ${finit ?? "no asynchronous finit_module"}`);
      return undefined;
    }
    reserveThreadPool(jobs);
    timingMark("finit stub mapped");
    const call = finit;
    return {
      inKernelDecompression: () => this.inKernelDecompression(),
      loadModule: (image, params, flags, compressed) => this.loadWith(image, params, flags, compressed, call),
    };
  }

  /** A load whose finit_module call is made by `finit` (on this thread, or on libuv's pool). */
  private async loadWith(image: Buffer, params: string, flags: LoadFlags, compressed: boolean, finit: FinitCall): Promise<void> {
    const sys = this.syscalls();
    let kernelFlags = compressed ? MODULE_INIT_COMPRESSED_FILE : 0;
    if (flags.ignoreModversions) kernelFlags |= MODULE_INIT_IGNORE_MODVERSIONS;
    if (flags.ignoreVermagic) kernelFlags |= MODULE_INIT_IGNORE_VERMAGIC;
    try {
      const started = timingNow();
      const fd = this.takeMemfd(sys);
      try {
        fillMemfd(fd, image);
      } catch (error) {
        fs.closeSync(fd);
        throw error;
      }
      timingAdd("memfd", started);
      const called = timingNow();
      if (!this.finitCalled) timingMark("first finit");
      this.finitCalled = true;
      try {
        await finit(fd, params, kernelFlags);
      } finally {
        timingAdd("kernel", called);
        // finit_module has copied the file by the time it returns, failed or not.
        this.giveBackMemfd(fd);
      }
      return;
    } catch (error) {
      // Kernels before 3.8 (finit_module) or 3.17 (memfd_create) take the image from memory.
      if (!(error instanceof KernelError) || error.code !== "ENOSYS") throw error;
    }
    const kind = compressed ? (this.inKernelDecompression() ?? "none") : "none";
    sys.initModule(await initModuleImage(image, kind, flags, "module", this.options.info), params);
  }

  /**
   * A memfd for the next load: a spare one when a load has just finished, else a new one. A batch
   * loads dozens of modules; reusing the descriptor (and the pages of its last image) spares a
   * memfd_create, a close and most of the page allocation per module, which an emulated guest
   * pays dearly for. In-flight loads each hold their own.
   */
  private takeMemfd(sys: ModuleSyscalls): number {
    return this.spareMemfds.pop() ?? sys.memfdCreate("modbundle", MFD_CLOEXEC);
  }

  /**
   * Spares are closed as soon as the event loop turns: the next load of a batch starts before
   * that (in the same chain of promise callbacks as the end of the last), and nothing else keeps
   * a module's pages alive in a process that goes on (the API's in-process runs).
   */
  private giveBackMemfd(fd: number): void {
    this.spareMemfds.push(fd);
    this.spareRelease ??= setImmediate(() => {
      this.spareRelease = undefined;
      for (const spare of this.spareMemfds.splice(0)) fs.closeSync(spare);
    }).unref();
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
 * libuv's pool has 4 threads unless UV_THREADPOOL_SIZE says otherwise, read when the pool first
 * starts; nothing before the first load uses it (its only other user here is gzip decoding, a
 * step of a load), so a size set now holds. Each load in flight holds one thread, in its gzip
 * decoding or in finit_module, so `jobs` threads are enough. A size the user set is kept.
 */
function reserveThreadPool(jobs: number): void {
  if (jobs > 4 && process.env.UV_THREADPOOL_SIZE === undefined) process.env.UV_THREADPOOL_SIZE = String(Math.min(jobs, 1024));
}

/**
 * The memfd holds exactly the image (a spare one is cut to its size first: the kernel reads the
 * whole file, and a module's signature sits at its end); a failure (ENOMEM, ENOSPC) is a
 * KernelError like the calls'.
 */
function fillMemfd(fd: number, data: Buffer): void {
  try {
    fs.ftruncateSync(fd, data.length);
    for (let at = 0; at < data.length; ) at += fs.writeSync(fd, data, at, data.length - at, at);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const code = e.code ?? "EIO";
    throw new KernelError(code, Math.abs(e.errno ?? 5), `write to memfd: ${strerror(code)}`);
  }
}
