import assert from "node:assert/strict";
import { it } from "node:test";
import { IdMarks, Interner } from "../../src/util/interner";

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

/** Numbers are handed out densely in first-seen order, and name the strings the other calls give. */
it("numbers each distinct name once, 0, 1, 2, ... in the order first seen, across growth", () => {
  const interner = new Interner();
  const names = Array.from({ length: 5000 }, (_, i) => `n${(i * 7919) % 5000}`);
  const bytes = Buffer.from(`${names.join("\0")}\0${names.join("\0")}\0`, "latin1");
  const ids: number[] = [];
  let at = 0;
  for (let round = 0; round < 2; round++) {
    for (const name of names) {
      const id = interner.idFromTerminated(bytes, at, bytes.length);
      if (round === 0) ids.push(id);
      else assert.equal(id, ids[ids.length - names.length + names.indexOf(name)]);
      at += name.length + 1;
    }
  }
  assert.deepEqual(ids, names.map((_, i) => i));
  assert.equal(interner.size, names.length);
  for (const [i, name] of names.entries()) {
    assert.equal(interner.nameOf(i), name);
    assert.equal(interner.intern(`${name}`), interner.nameOf(i));
  }
  // Up to the limit when no NUL comes first; a name met as bytes and as a string has one number.
  assert.equal(interner.nameOf(interner.idFromTerminated(Buffer.from("abcdef", "latin1"), 1, 4)), "bcd");
  assert.equal(interner.intern("fresh"), "fresh");
  assert.equal(interner.nameOf(interner.idFromTerminated(Buffer.from("fresh\0", "latin1"), 0, 6)), "fresh");
  assert.equal(interner.size, names.length + 2);
});

/** Met as bytes, a name is compared with the bytes kept for each one: a string beyond latin1, hashed as its low bytes, never answers. */
it("never answers bytes with a name given as a string beyond latin1 that hashes alike", () => {
  const interner = new Interner();
  const wide = "\u0161x"; // hashed as "ax": 0x161 & 0xff is 'a'
  assert.equal(interner.intern(wide), wide);
  assert.equal(interner.fromBytes(Buffer.from("ax", "latin1"), 0, 2), "ax");
  assert.equal(interner.size, 2);
  assert.equal(interner.intern("\u0161x"), wide);
});

it("marks names by number for one round at a time", () => {
  const marks = new IdMarks();
  assert.equal(marks.has(0), false, "nothing is marked before the first round");
  marks.next();
  marks.mark(3);
  marks.mark(100_000);
  assert.equal(marks.has(3), true);
  assert.equal(marks.has(100_000), true);
  assert.equal(marks.has(4), false);
  assert.equal(marks.has(10_000_000), false);
  marks.next();
  assert.equal(marks.has(3), false, "a new round starts empty");
  marks.mark(4);
  assert.equal(marks.has(4), true);
  assert.equal(marks.has(100_000), false);
});
