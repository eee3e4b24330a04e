/**
 * Machine code for one system call with up to three arguments, returning the kernel's raw result
 * (-errno on failure) instead of setting errno: what lets finit_module run on libuv's thread
 * pool (ffi-napi's `.async`) and still report its own errno. errno is per thread and the async
 * callback runs on the main thread, so errno read there would be another call's; the raw return
 * value travels with the call's result.
 *
 * The kernel's entry code reads int arguments as ints whatever the upper halves of the 64-bit
 * registers hold (SYSCALL_DEFINE's casts), so the C ABI's int and unsigned int arrive intact.
 *
 * Security: the code is these fixed bytes, built here from a constant system call number, never
 * from input. It reaches executable memory through a memfd mapped PROT_READ|PROT_EXEC
 * (syscalls.ts): no mapping is ever writable and executable at once.
 */

/** The stub's bytes for `arch` (process.arch), or undefined where there is no encoder. */
export function syscallStubCode(arch: string, number: number): Buffer | undefined {
  if (!Number.isInteger(number) || number < 0) throw new RangeError(`system call number ${number}`);
  switch (arch) {
    case "x64": {
      // mov eax, NUMBER; syscall; ret. The C ABI's first three arguments (rdi, rsi, rdx) are the
      // kernel's; rax comes back as is.
      const code = Buffer.from([0xb8, 0, 0, 0, 0, 0x0f, 0x05, 0xc3]);
      code.writeUInt32LE(number, 1);
      return code;
    }
    case "arm64": {
      // movz x8, #NUMBER; svc #0; ret. Arguments in x0-x2 for both the C ABI and the kernel,
      // the result in x0.
      if (number > 0xffff) return undefined;
      const code = Buffer.alloc(12);
      code.writeUInt32LE((0xd2800008 | (number << 5)) >>> 0, 0);
      code.writeUInt32LE(0xd4000001, 4);
      code.writeUInt32LE(0xd65f03c0, 8);
      return code;
    }
    default:
      return undefined;
  }
}
