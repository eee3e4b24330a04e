import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { SCAN_MODULE_BASE64, scanModules, sumFields } from "../../src/bundle/index-scan";
import { scanModuleBytes } from "./index-scan-module";

/** The JavaScript rules the module must agree with (ModuleTables.checkListsTile's loop). */
function tileInJavaScript(modules: Uint32Array, memberSlots: number): { softdep: number[]; weakdep: number[] } | undefined {
  const softdep: number[] = [];
  const weakdep: number[] = [];
  let deps = 0;
  let strings = 0;
  const named = new Uint8Array(memberSlots);
  for (let w = 0; w + 9 <= modules.length; w += 9) {
    const member = modules[w + 2];
    if (member < named.length && named[member]++ !== 0) return undefined;
    if (modules[w + 3] !== deps || modules[w + 5] !== strings || modules[w + 7] !== strings + modules[w + 6]) return undefined;
    deps += modules[w + 4];
    strings = modules[w + 7] + modules[w + 8];
    if (modules[w + 6] !== 0) softdep.push(w / 9);
    if (modules[w + 8] !== 0) weakdep.push(w / 9);
  }
  return { softdep, weakdep };
}

/** MODULES records that keep the rules: lists back to back, one member each, from `counts`. */
function tiledModules(counts: ReadonlyArray<readonly [number, number, number]>): Uint32Array {
  const words: number[] = [];
  let deps = 0;
  let strings = 0;
  counts.forEach(([d, soft, weak], i) => {
    words.push(i * 7, 5, i, deps, d, strings, soft, strings + soft, weak);
    deps += d;
    strings += soft + weak;
  });
  return Uint32Array.from(words);
}

const countsArbitrary = fc.array(fc.tuple(fc.nat(5), fc.nat(2), fc.nat(2)), { maxLength: 40 });

describe("index scans (WebAssembly)", () => {
  it("runs the module that the readable assembler produces", () => {
    assert.equal(Buffer.from(scanModuleBytes()).toString("base64"), SCAN_MODULE_BASE64);
  });

  it("sums fields as the JavaScript loop does, the rest of a partial record left out", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 300 }), fc.integer({ min: 1, max: 9 }), (values, stride) => {
        const words = Uint32Array.from(values);
        const fields = [0, stride - 1];
        let expected = 0;
        const records = Math.floor(words.length / stride);
        for (const field of fields) for (let at = field; at < records * stride; at += stride) expected += words[at];
        assert.equal(sumFields(words, stride, fields), expected);
      }),
    );
  });

  it("finds the modules with softdep and weakdep lists of a well-formed table", () => {
    fc.assert(
      fc.property(countsArbitrary, (counts) => {
        const modules = tiledModules(counts);
        const expected = tileInJavaScript(modules, counts.length);
        assert.ok(expected);
        assert.deepEqual(scanModules(modules, 9, counts.length), expected);
      }),
    );
  });

  it("refuses exactly the tables the JavaScript loop refuses", () => {
    fc.assert(
      fc.property(
        countsArbitrary.filter((counts) => counts.length > 0),
        fc.array(fc.tuple(fc.nat(), fc.nat(8), fc.oneof(fc.nat(3), fc.constant(0xffffffff), fc.nat({ max: 0xffffffff }))), { minLength: 1, maxLength: 3 }),
        fc.nat(50),
        (counts, edits, memberSlots) => {
          const modules = tiledModules(counts);
          for (const [record, word, value] of edits) modules[(record % counts.length) * 9 + word] = value;
          assert.deepEqual(scanModules(modules, 9, memberSlots), tileInJavaScript(modules, memberSlots));
        },
      ),
    );
  });

  it("does not let list ends wrap around 2^32", () => {
    // Counts adding up to 2^32 would bring a 32-bit end back to 0, where the next list starts.
    const modules = Uint32Array.from([0, 1, 0, 0, 0xffffffff, 0, 0, 0, 0, 0, 1, 1, 0xffffffff, 1, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0]);
    assert.equal(tileInJavaScript(modules, 3), undefined);
    assert.equal(scanModules(modules, 9, 3), undefined);
  });

  it("is reused across tables of different sizes, with a clean member table each time", () => {
    const big = tiledModules(Array.from({ length: 5000 }, (_, i) => [i % 3, i % 7 === 0 ? 1 : 0, i % 11 === 0 ? 2 : 0] as const));
    assert.deepEqual(scanModules(big, 9, 5000), tileInJavaScript(big, 5000));
    const small = tiledModules([[1, 0, 0], [0, 1, 0]]);
    assert.deepEqual(scanModules(small, 9, 2), { softdep: [1], weakdep: [] });
    assert.deepEqual(scanModules(small, 9, 2), { softdep: [1], weakdep: [] });
  });
});
