import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CPIO_HEADER_SIZE, S_IFREG, decodeHeader, encodeMemberHead, memberSize, pad4 } from "../../src/bundle/cpio";
import { ModbundleError } from "../../src/errors";

describe("newc cpio codec", () => {
  it("encodes a header that decodes to the same fields, name padded to 4 bytes", () => {
    for (const name of ["a", "ab", "abc", "kernel/fs/btrfs/btrfs.ko"]) {
      const head = encodeMemberHead({ name, ino: 7, mode: S_IFREG | 0o644, nlink: 1, mtime: 1700000000, fileSize: 12345 });
      assert.equal(head.length % 4, 0);
      assert.equal(head.toString("latin1", 0, 6), "070701");
      const header = decodeHeader(head, "t");
      assert.equal(header.ino, 7);
      assert.equal(header.mode, S_IFREG | 0o644);
      assert.equal(header.mtime, 1700000000);
      assert.equal(header.fileSize, 12345);
      assert.equal(header.nameSize, name.length + 1);
      assert.equal(head.toString("latin1", CPIO_HEADER_SIZE, CPIO_HEADER_SIZE + name.length), name);
      assert.equal(memberSize(name, 12345), head.length + 12345 + pad4(12345));
    }
  });

  it("refuses a field that does not fit in 32 bits", () => {
    assert.throws(() => encodeMemberHead({ name: "x", ino: 1, mode: S_IFREG, nlink: 1, mtime: 0, fileSize: 2 ** 32 }), /fileSize 4294967296 does not fit in 32 bits/);
  });

  it("rejects a short or non-hex header with the offending bytes named", () => {
    assert.throws(() => decodeHeader(Buffer.from("070701"), "t"), /truncated cpio header \(6 of 110 bytes\)/);
    const head = encodeMemberHead({ name: "x", ino: 1, mode: S_IFREG, nlink: 1, mtime: 0, fileSize: 1 });
    head.write("zz", 10, "latin1");
    assert.throws(() => decodeHeader(head, "t"), (e: unknown) => e instanceof ModbundleError && /cpio field ino is not hexadecimal/.test(e.message));
  });
});
