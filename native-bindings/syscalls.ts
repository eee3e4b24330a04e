import { KernelError } from "../src/errors";
import { errnoName, errnoNumber, strerror } from "../src/util/errno";
import { timingAdd, timingNow } from "../src/util/timing";
import fs = require("node:fs");
import { SyscallNumbers, syscallNumbers } from "./syscall-numbers";
import { syscallStubCode } from "./syscall-stub";

export { SyscallNumbers, syscallNumbers };

/**
 * The four system calls modbundle needs, made through libc's syscall(2) with ffi-napi: glibc has
 * no wrappers for finit_module/init_module/delete_module, and calling syscall(2) by number works
 * the same on every libc. ffi-napi is loaded on the first call, never at import: commands that
 * only read state (lsmod, modprobe -D) must not pay for it.
 *
 * Setting MODBUNDLE_NO_SYSCALLS makes every call fail before ffi-napi is even loaded: a guard for
 * test runs on a machine whose kernel is not ours to change.
 *
 * finit_module also runs asynchronously on libuv's thread pool (finitModuleAsync), through a
 * stub that returns the kernel's raw result (syscall-stub.ts), so that each call carries its own
 * errno.
 */

/** A KernelError for an errno number, with strerror(3)'s wording. */
export function kernelError(errno: number, what: string): KernelError {
  const name = errnoName(errno);
  return new KernelError(name, errno, `${what}: ${strerror(name)}`);
}

type Call = (...args: any[]) => any;

interface Native {
  readonly numbers: SyscallNumbers;
  readonly memfdCreate: Call;
  readonly finitModule: Call;
  readonly initModule: Call;
  readonly deleteModule: Call;
  readonly errno: () => number;
  readonly mmap: Call;
  readonly ffi: any;
}

let native: Native | undefined;

function guard(what: string): void {
  if (process.env.MODBUNDLE_NO_SYSCALLS) {
    throw new KernelError("EPERM", errnoNumber("EPERM") ?? 1, `${what}: module system calls are disabled (MODBUNDLE_NO_SYSCALLS is set)`);
  }
}

function load(): Native {
  if (native) return native;
  const numbers = syscallNumbers();
  const started = timingNow();
  let ffi: any;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ffi = require("ffi-napi");
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new KernelError("ENOSYS", errnoNumber("ENOSYS") ?? 38, `cannot load ffi-napi for the module system calls: ${reason}`);
  }
  // dlopen(NULL): the running process, whose libc has syscall(2). syscall is variadic, so each
  // signature gets its own variadic call interface: the ABI may pass variadic arguments
  // differently from fixed ones.
  const syscall = ffi.VariadicForeignFunction(new ffi.DynamicLibrary().get("syscall"), "long", ["long"]);
  native = {
    numbers,
    memfdCreate: syscall("pointer", "ulong"),
    finitModule: syscall("long", "pointer", "ulong"),
    initModule: syscall("pointer", "ulong", "pointer"),
    deleteModule: syscall("pointer", "ulong"),
    errno: ffi.errno,
    mmap: ffi.ForeignFunction(new ffi.DynamicLibrary().get("mmap"), "pointer", ["pointer", "size_t", "int", "int", "int", "long"]),
    ffi,
  };
  timingAdd("ffi", started);
  return native;
}

/** A NUL-terminated byte string: names and parameters go to the kernel byte for byte. */
function cString(text: string): Buffer {
  return Buffer.from(`${text}\0`, "latin1");
}

/** Runs one syscall; -1 becomes a KernelError carrying errno, read before anything else runs. */
function call(what: string, run: (n: Native) => unknown): number {
  guard(what);
  const n = load();
  const result = Number(run(n));
  if (result === -1) throw kernelError(n.errno(), what);
  return result;
}

/** memfd_create(2): an anonymous file to hand to finit_module. */
export function memfdCreate(name: string, flags: number): number {
  return call("memfd_create", (n) => n.memfdCreate(n.numbers.memfdCreate, cString(name), flags));
}

/** finit_module(2) with MODULE_INIT_* flags. */
export function finitModule(fd: number, params: string, flags: number): void {
  call("finit_module", (n) => n.finitModule(n.numbers.finitModule, fd, cString(params), flags));
}

/** init_module(2): the image from memory, for kernels without finit_module. */
export function initModule(image: Buffer, params: string): void {
  call("init_module", (n) => n.initModule(n.numbers.initModule, image, image.length, cString(params)));
}

/** delete_module(2) with O_NONBLOCK / O_TRUNC. */
export function deleteModule(name: string, flags: number): void {
  call("delete_module", (n) => n.deleteModule(n.numbers.deleteModule, cString(name), flags));
}

/** Whether ffi-napi has been loaded in this process (tests check that nothing loads it early). */
export function nativeLoaded(): boolean {
  return native !== undefined;
}

/** include/uapi/asm-generic/mman-common.h, the same on every architecture with a stub. */
const PROT_READ = 1;
const PROT_EXEC = 4;
const MAP_PRIVATE = 2;
const MFD_CLOEXEC = 1;

/** A system call made on libuv's thread pool; resolves to the kernel's raw result (-errno on failure). */
export type AsyncSyscall = (a: number, b: Buffer | null, c: number) => Promise<number>;

/** mmap(2) as libc's: a pointer Buffer, MAP_FAILED (all ones) with errno set on failure. */
export type MmapCall = (addr: null, length: number, prot: number, flags: number, fd: number, offset: number) => Buffer;

/**
 * An asynchronous caller of system call `number` (three arguments: int, pointer, unsigned int)
 * through the stub of syscall-stub.ts, or the reason there is none: no encoder for this
 * architecture, or an executable mapping refused (vm.memfd_noexec, an LSM, a noexec policy).
 * The stub's bytes go into a memfd, which is then mapped read and execute only; the descriptor
 * is closed at once (the mapping keeps the pages). `mmap` replaces libc's in tests.
 */
export function asyncSyscall(number: number, mmap?: MmapCall): AsyncSyscall | string {
  const n = load();
  const code = syscallStubCode(process.arch, number);
  if (!code) return `no system call stub for the ${process.arch} architecture`;
  let pointer: Buffer;
  const fd = Number(n.memfdCreate(n.numbers.memfdCreate, cString("modbundle-stub"), MFD_CLOEXEC));
  if (fd === -1) return `memfd_create: ${strerror(errnoName(n.errno()))}`;
  try {
    for (let at = 0; at < code.length; ) at += fs.writeSync(fd, code, at, code.length - at);
    pointer = (mmap ?? (n.mmap as MmapCall))(null, code.length, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
    if (/^f+$/.test((pointer as Buffer & { hexAddress(): string }).hexAddress())) return `mmap: ${strerror(errnoName(n.errno()))}`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    fs.closeSync(fd);
  }
  const call = n.ffi.ForeignFunction(pointer, "long", ["int", "pointer", "uint"]);
  return (a, b, c) =>
    new Promise((resolve, reject) => {
      // ffi-napi keeps the arguments (and so `b`) referenced until the callback has run.
      call.async(a, b, c, (error: unknown, result: unknown) => (error ? reject(new Error(`ffi call: ${String(error)}`)) : resolve(Number(result))));
    });
}

/** finit_module run asynchronously; see finitModuleAsync. */
export type AsyncFinit = (fd: number, params: string, flags: number) => Promise<void>;

let asyncFinit: AsyncFinit | string | undefined;

/**
 * finit_module(2) on libuv's thread pool, several at once, each rejecting with the KernelError of
 * its own errno (the stub returns it); or the reason why not, when loads must stay on the main
 * thread with finitModule. Made once per process.
 */
export function finitModuleAsync(): AsyncFinit | string {
  guard("finit_module");
  if (asyncFinit === undefined) {
    const call = asyncSyscall(load().numbers.finitModule);
    asyncFinit =
      typeof call === "string"
        ? call
        : async (fd, params, flags) => {
            const result = await call(fd, cString(params), flags);
            if (result < 0) throw kernelError(-result, "finit_module");
          };
  }
  return asyncFinit;
}
