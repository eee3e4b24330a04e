import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import { syscallNumbers } from "../../native-bindings/syscall-numbers";
import { syscallStubCode } from "../../native-bindings/syscall-stub";

/**
 * The stub that lets finit_module run on libuv's thread pool and still return its own errno
 * (native-bindings/syscall-stub.ts): its bytes per architecture, derived from the system call
 * table; and, on this machine, the mechanism itself (memfd, read-execute mapping, ffi-napi's
 * `.async`) with harmless calls only: getpid and close(-1). A stub for a module system call is
 * never made here; that one runs in the QEMU guests (test/vm/parallel.test.ts, arm64.test.ts).
 */
describe("the system call stub", () => {
  it("x86_64: mov eax, finit_module; syscall; ret", () => {
    assert.deepEqual([...(syscallStubCode("x64", syscallNumbers("x64").finitModule) ?? [])], [0xb8, 0x39, 0x01, 0x00, 0x00, 0x0f, 0x05, 0xc3]);
  });

  it("aarch64: movz x8, #finit_module; svc #0; ret", () => {
    const code = syscallStubCode("arm64", syscallNumbers("arm64").finitModule);
    assert.ok(code);
    assert.deepEqual([code.readUInt32LE(0), code.readUInt32LE(4), code.readUInt32LE(8)], [0xd2802228, 0xd4000001, 0xd65f03c0]);
    // The immediate's field: bits 5-20.
    assert.equal(syscallStubCode("arm64", 0xffff)?.readUInt32LE(0), 0xd29fffe8);
    assert.equal(syscallStubCode("arm64", 0x10000), undefined);
  });

  it("no stub where there is no encoder: those architectures load one module at a time", () => {
    for (const arch of ["ia32", "arm", "ppc64", "s390x", "riscv64", "loong64"]) assert.equal(syscallStubCode(arch, syscallNumbers(arch).finitModule), undefined, arch);
    assert.throws(() => syscallStubCode("x64", -1), RangeError);
  });

  const HARMLESS: Record<string, { getpid: number; close: number } | undefined> = { x64: { getpid: 39, close: 3 }, arm64: { getpid: 172, close: 57 } };
  const harmless = HARMLESS[process.arch];

  it("runs on libuv's pool and returns the kernel's raw result, -errno on failure", { skip: harmless ? false : `no stub test for ${process.arch}` }, async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { asyncSyscall } = require("../../native-bindings/syscalls") as typeof import("../../native-bindings/syscalls");
    const getpid = asyncSyscall(harmless?.getpid ?? -1);
    const close = asyncSyscall(harmless?.close ?? -1);
    assert.equal(typeof getpid, "function", String(getpid));
    assert.equal(typeof close, "function", String(close));
    if (typeof getpid === "string" || typeof close === "string") return;
    const results = await Promise.all([getpid(0, null, 0), close(-1, null, 0), getpid(0, Buffer.from("x\0"), 0), close(-1, null, 0)]);
    assert.deepEqual(results, [process.pid, -9, process.pid, -9]);
    const maps = fs.readFileSync("/proc/self/maps", "latin1");
    const stubs = maps.split("\n").filter((line) => line.includes("/memfd:modbundle-stub"));
    assert.ok(stubs.length >= 2, maps);
    for (const line of stubs) assert.equal(line.split(" ")[1], "r-xp", `a stub mapping must be read-execute only: ${line}`);
  });

  it("says why when the executable mapping is refused (then loads stay on the main thread)", { skip: harmless ? false : `no stub test for ${process.arch}` }, () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { asyncSyscall } = require("../../native-bindings/syscalls") as typeof import("../../native-bindings/syscalls");
    const refused = (): Buffer => {
      // MAP_FAILED, as libc's mmap returns it; errno is whatever the last call left, so the
      // message is only checked for its start.
      const failed = Buffer.alloc(8, 0xff);
      return Object.assign(failed, { hexAddress: () => "ffffffffffffffff" });
    };
    const result = asyncSyscall(harmless?.getpid ?? -1, refused);
    assert.equal(typeof result, "string");
    assert.match(String(result), /^mmap: /);
    const thrown = asyncSyscall(harmless?.getpid ?? -1, () => {
      throw new Error("mmap: Operation not permitted");
    });
    assert.equal(thrown, "mmap: Operation not permitted");
  });
});
