import assert from "node:assert/strict";
import * as fs from "node:fs";
import { it } from "node:test";
import { KernelError } from "../../src/kernel/kernel";

/**
 * The FFI path end to end with the one harmless call among the four: memfd_create. Module
 * loading and removal are never called here (or anywhere in the tests).
 */
it("memfd_create through ffi-napi gives a working file descriptor and errno as a KernelError", () => {
  delete process.env.MODBUNDLE_NO_SYSCALLS;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { memfdCreate, nativeLoaded } = require("../../native-bindings/syscalls") as typeof import("../../native-bindings/syscalls");
  assert.equal(nativeLoaded(), false);
  const fd = memfdCreate("modbundle-test", 1);
  try {
    assert.equal(nativeLoaded(), true);
    assert.match(fs.readlinkSync(`/proc/self/fd/${fd}`), /^\/memfd:modbundle-test/);
    fs.writeSync(fd, Buffer.from("module bytes"));
    assert.equal(fs.fstatSync(fd).size, 12);
  } finally {
    fs.closeSync(fd);
  }
  assert.throws(() => memfdCreate("bad-flags", 0x7fff0000), (e: unknown) => e instanceof KernelError && e.code === "EINVAL" && e.errno === 22);
  process.env.MODBUNDLE_NO_SYSCALLS = "1";
});
