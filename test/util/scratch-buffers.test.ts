import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ScratchBuffers } from "../../src/util/scratch-buffers";

describe("ScratchBuffers", () => {
  it("lends a given-back buffer again, the smallest one large enough", () => {
    const buffers = new ScratchBuffers();
    const small = buffers.take(100);
    const large = buffers.take(1000);
    assert.ok(small.length >= 100 && large.length >= 1000);
    buffers.give(large);
    buffers.give(small);
    assert.equal(buffers.take(50), small);
    assert.equal(buffers.take(500), large);
  });

  it("never lends one buffer twice before it is given back", () => {
    const buffers = new ScratchBuffers();
    const a = buffers.take(10);
    const b = buffers.take(10);
    assert.notEqual(a.buffer, b.buffer);
    buffers.give(a);
    const c = buffers.take(10);
    assert.equal(c, a);
    assert.notEqual(buffers.take(10).buffer, c.buffer);
  });

  it("replaces the largest spare buffer when none is large enough, keeping as many as were lent at once", () => {
    const buffers = new ScratchBuffers();
    const one = buffers.take(10);
    const two = buffers.take(20);
    buffers.give(one);
    buffers.give(two);
    const three = buffers.take(30);
    assert.ok(three.length >= 30 && three !== one && three !== two);
    buffers.give(three);
    // `two` was dropped: what is lent now is `one` (the smallest fit for 5), then `three`.
    assert.equal(buffers.take(5), one);
    assert.equal(buffers.take(5), three);
    assert.notEqual(buffers.take(5), two);
  });
});
