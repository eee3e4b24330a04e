import { KernelError } from "../src/errors";
import { errnoName, errnoNumber, strerror } from "../src/util/errno";
import { timingAdd, timingNow } from "../src/util/timing";

/**
 * The four system calls modbundle needs, made through libc's syscall(2) with ffi-napi: glibc has
 * no wrappers for finit_module/init_module/delete_module, and calling syscall(2) by number works
 * the same on every libc. ffi-napi is loaded on the first call, never at import: commands that
 * only read state (lsmod, modprobe -D) must not pay for it.
 *
 * Setting MODBUNDLE_NO_SYSCALLS makes every call fail before ffi-napi is even loaded: a guard for
 * test runs on a machine whose kernel is not ours to change.
 */
export interface SyscallNumbers {
  readonly initModule: number;
  readonly deleteModule: number;
  readonly finitModule: number;
  readonly memfdCreate: number;
}

/** The asm-generic table, shared by the architectures that joined Linux after 2012. */
const GENERIC: SyscallNumbers = { initModule: 105, deleteModule: 106, finitModule: 273, memfdCreate: 279 };

/** By process.arch; each row from the kernel's syscall table for that architecture. */
const NUMBERS: Readonly<Record<string, SyscallNumbers>> = {
  x64: { initModule: 175, deleteModule: 176, finitModule: 313, memfdCreate: 319 },
  arm64: GENERIC,
  riscv64: GENERIC,
  loong64: GENERIC,
  ia32: { initModule: 128, deleteModule: 129, finitModule: 350, memfdCreate: 356 },
  arm: { initModule: 128, deleteModule: 129, finitModule: 379, memfdCreate: 385 },
  ppc64: { initModule: 128, deleteModule: 129, finitModule: 353, memfdCreate: 360 },
  s390x: { initModule: 128, deleteModule: 129, finitModule: 344, memfdCreate: 350 },
};

/** A KernelError for an errno number, with strerror(3)'s wording. */
export function kernelError(errno: number, what: string): KernelError {
  const name = errnoName(errno);
  return new KernelError(name, errno, `${what}: ${strerror(name)}`);
}

export function syscallNumbers(arch: string = process.arch): SyscallNumbers {
  const numbers = NUMBERS[arch];
  if (!numbers) {
    throw new KernelError("ENOSYS", errnoNumber("ENOSYS") ?? 38, `module system calls are not known for the ${arch} architecture (known: ${Object.keys(NUMBERS).join(", ")})`);
  }
  return numbers;
}

type Call = (...args: any[]) => any;

interface Native {
  readonly numbers: SyscallNumbers;
  readonly memfdCreate: Call;
  readonly finitModule: Call;
  readonly initModule: Call;
  readonly deleteModule: Call;
  readonly errno: () => number;
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

let exitCall: ((code: number) => void) | undefined;

/**
 * Ends the process at once with _exit(2), without tearing down worker threads: ffi-napi's
 * per-thread cleanup crashes (SIGSEGV) when a worker that loaded it is torn down, so a process
 * that started loading threads leaves this way, after its output is written (the CLI writes with
 * write(2), nothing is buffered). Does nothing when system calls are disabled: then no thread
 * loaded ffi-napi, and the normal exit is safe.
 */
export function exitNow(code: number): void {
  if (process.env.MODBUNDLE_NO_SYSCALLS) return;
  if (!exitCall) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ffi = require("ffi-napi");
    exitCall = ffi.ForeignFunction(new ffi.DynamicLibrary().get("_exit"), "void", ["int"]);
  }
  exitCall?.(code);
}

/** Loads ffi-napi now (a loading thread does it before its first request). */
export function preload(): void {
  guard("ffi-napi");
  load();
}

/** Whether ffi-napi has been loaded in this process (tests check that nothing loads it early). */
export function nativeLoaded(): boolean {
  return native !== undefined;
}
