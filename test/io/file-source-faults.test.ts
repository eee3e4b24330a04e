import assert from "node:assert/strict";
import fs = require("node:fs");
import * as path from "node:path";
import { after, afterEach, describe, it, mock } from "node:test";
import { ModbundleError } from "../../src/errors";
import { FileSource } from "../../src/io/byte-source";
import { tempDir } from "../helpers/paths";

/**
 * A bundle whose reads fail, as the QEMU guest's disk with blkdebug (test/vm/hostile.test.ts)
 * fails them: read(2) returns what it read before the bad block, then EIO. The error names the
 * source and the offset where the failure is, in strerror's words, not libuv's ("i/o error").
 */
function eio(): NodeJS.ErrnoException {
  return Object.assign(new Error("EIO: i/o error, read"), { code: "EIO", syscall: "read", errno: -5 });
}

describe("FileSource on a device whose reads fail", () => {
  const dir = tempDir("eio");
  afterEach(() => mock.restoreAll());
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("a short read then EIO: one message naming the source and the failing offset", () => {
    const file = path.join(dir, "short-then-eio");
    fs.writeFileSync(file, Buffer.alloc(64 * 1024, 7));
    const source = FileSource.open(file);
    try {
      const real = fs.readSync;
      let calls = 0;
      mock.method(fs, "readSync", (fd: number, buffer: Buffer, offset: number, length: number, position: number) => {
        if (++calls === 1) return real(fd, buffer, offset, Math.min(length, 4096 - (position % 4096)), position);
        throw eio();
      });
      assert.throws(
        () => source.readAt(1000, 10_000),
        (error: unknown) => error instanceof ModbundleError && error.code === "EIO" && error.message === `${file}: read at offset 4096: Input/output error`,
      );
      assert.equal(calls, 2, "no read is retried after EIO");
    } finally {
      source.close();
    }
  });

  it("EIO at the first byte names the offset asked for", () => {
    const file = path.join(dir, "eio-at-once");
    fs.writeFileSync(file, Buffer.alloc(8192));
    const source = FileSource.open(file);
    try {
      mock.method(fs, "readSync", () => {
        throw eio();
      });
      assert.throws(() => source.readAt(512, 100), { message: `${file}: read at offset 512: Input/output error` });
    } finally {
      source.close();
    }
  });
});
