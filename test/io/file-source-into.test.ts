import assert from "node:assert/strict";
import fs = require("node:fs");
import * as path from "node:path";
import { it } from "node:test";
import { FileSource } from "../../src/io/byte-source";
import { tempDir } from "../helpers/paths";

it("FileSource.readAt reads into a lent buffer large enough, and into a new one otherwise", (t) => {
  const dir = tempDir("into");
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, "data");
  const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 251));
  fs.writeFileSync(file, bytes);
  const source = FileSource.open(file);
  try {
    const lent = Buffer.alloc(200, 0xff);
    const read = source.readAt(50, 120, lent);
    assert.ok(read.equals(bytes.subarray(50, 170)));
    assert.equal(read.buffer, lent.buffer, "the bytes are in the lent buffer");
    assert.ok(lent.subarray(0, 120).equals(read));
    const small = Buffer.alloc(10);
    const other = source.readAt(0, 120, small);
    assert.ok(other.equals(bytes.subarray(0, 120)));
    assert.notEqual(other.buffer, small.buffer);
    assert.ok(small.equals(Buffer.alloc(10)), "a buffer too small is left alone");
  } finally {
    source.close();
  }
});
