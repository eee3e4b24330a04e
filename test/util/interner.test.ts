import assert from "node:assert/strict";
import { it } from "node:test";
import { Interner } from "../../src/util/interner";

/** The interner hands out one string per distinct byte string, however it is asked (bytes or string). */
it("gives one string per distinct name, from bytes or from strings, across growth", () => {
  const interner = new Interner();
  const names = Array.from({ length: 100_000 }, (_, i) => `sym_${i.toString(36)}\xe9`);
  const bytes = Buffer.from(`..${names.join("\0")}\0`, "latin1");
  const first = new Map<string, string>();
  let at = 2;
  for (const name of names) {
    const got = interner.fromBytes(bytes, at, at + name.length);
    assert.equal(got, name);
    first.set(name, got);
    at += name.length + 1;
  }
  // Asked again, by string (a different object with the same bytes) or by bytes: the same answers.
  for (const name of names.slice(0, 1000)) assert.equal(interner.intern(Buffer.from(name, "latin1").toString("latin1")), first.get(name));
  assert.equal(interner.fromBytes(bytes, 2, 2 + names[0].length), first.get(names[0]));
  assert.equal(interner.fromBytes(bytes, 0, 0), "");
  assert.equal(interner.fromBytes(bytes, 1, 2), ".");
  assert.equal(interner.intern("new one"), "new one");
});
