import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as syscalls from "../../native-bindings/syscalls";
import { errnoName, errnoNumber } from "../../src/util/errno";
import { KernelError } from "../../src/kernel/kernel";

process.env.MODBUNDLE_NO_SYSCALLS = "1";

function ffiLoaded(): boolean {
  return syscalls.nativeLoaded() || Object.keys(require.cache).some((file) => file.includes("ffi-napi") || file.includes("ref-napi"));
}

describe("native bindings", () => {
  it("are imported without loading ffi-napi", () => {
    assert.equal(ffiLoaded(), false);
  });

  it("with MODBUNDLE_NO_SYSCALLS, refuse every call with EPERM before loading ffi-napi", () => {
    const calls: Array<[string, () => unknown]> = [
      ["memfd_create", () => syscalls.memfdCreate("x", 1)],
      ["finit_module", () => syscalls.finitModule(0, "", 0)],
      ["init_module", () => syscalls.initModule(Buffer.alloc(64), "")],
      ["delete_module", () => syscalls.deleteModule("loop", 0)],
    ];
    for (const [name, call] of calls) {
      assert.throws(call, (e: unknown) => e instanceof KernelError && e.code === "EPERM" && e.errno === 1 && e.message.startsWith(`${name}: `), name);
    }
    assert.equal(ffiLoaded(), false);
  });

  it("choose system call numbers by architecture and refuse an unknown one clearly", () => {
    assert.deepEqual(syscalls.syscallNumbers("x64"), { initModule: 175, deleteModule: 176, finitModule: 313, memfdCreate: 319 });
    assert.deepEqual(syscalls.syscallNumbers("arm64"), { initModule: 105, deleteModule: 106, finitModule: 273, memfdCreate: 279 });
    assert.equal(syscalls.syscallNumbers("s390x").finitModule, 344);
    assert.equal(syscalls.syscallNumbers("ia32").memfdCreate, 356);
    assert.throws(() => syscalls.syscallNumbers("mips"), (e: unknown) => e instanceof KernelError && e.code === "ENOSYS" && /mips/.test(e.message));
  });

  it("cover every architecture of the table with the kernel's numbers (arm64's proven in the arm64 QEMU guest)", () => {
    // init_module, delete_module, finit_module, memfd_create, from each architecture's syscall
    // table in the kernel's sources (asm-generic's unistd.h for arm64, riscv64 and loong64).
    const expected: Record<string, readonly [number, number, number, number]> = {
      x64: [175, 176, 313, 319],
      arm64: [105, 106, 273, 279],
      riscv64: [105, 106, 273, 279],
      loong64: [105, 106, 273, 279],
      ia32: [128, 129, 350, 356],
      arm: [128, 129, 379, 385],
      ppc64: [128, 129, 353, 360],
      s390x: [128, 129, 344, 350],
    };
    for (const [arch, [initModule, deleteModule, finitModule, memfdCreate]] of Object.entries(expected)) {
      assert.deepEqual(syscalls.syscallNumbers(arch), { initModule, deleteModule, finitModule, memfdCreate }, arch);
    }
    // And nothing in the table that this list does not check.
    assert.throws(() => syscalls.syscallNumbers("sparc64"), (e: unknown) => e instanceof KernelError && e.message.endsWith(`(known: ${Object.keys(expected).join(", ")})`));
  });

  it("name errnos as the kernel's, including the key errors Node does not list", () => {
    assert.equal(errnoName(2), "ENOENT");
    assert.equal(errnoName(11), "EAGAIN");
    assert.equal(errnoName(129), "EKEYREJECTED");
    assert.equal(errnoName(95), "EOPNOTSUPP");
    assert.equal(errnoName(4095), "E4095");
    assert.equal(errnoNumber("EWOULDBLOCK"), 11);
    assert.equal(errnoNumber("ENOKEY"), 126);
    const error = syscalls.kernelError(8, "finit_module");
    assert.equal(error.code, "ENOEXEC");
    assert.equal(error.message, "finit_module: Exec format error");
  });
});
