import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { compilePattern, FirstMatch, fnmatch, matchCompiled } from "../../src/util/fnmatch";
import { tempDir } from "../helpers/paths";

/**
 * fnmatch against glibc's fnmatch(3) itself (flags 0, as kmod calls it), through a small C
 * program compiled here, on hand-picked and generated pattern/string pairs; and the compiled
 * matcher against fnmatch.
 */
const CASES: Array<[string, string]> = [
  ["*", ""], ["*", "abc"], ["a*c", "abbbc"], ["a*c", "ab"], ["?", ""], ["?", "x"], ["a?c", "abc"],
  ["[abc]", "b"], ["[!abc]", "b"], ["[^abc]", "d"], ["[a-c]x", "bx"], ["[]]", "]"], ["[]a]", "a"], ["[!]]", "x"],
  ["[", "["], ["[a", "[a"], ["a[", "a["], ["\\*", "*"], ["\\*", "x"], ["a\\", "a\\"], ["\\a", "a"],
  ["[[:digit:]]x", "5x"], ["[[:alpha:]]", "5"], ["[[:upper:][:digit:]]", "Q"], ["[a-]", "-"], ["[-a]", "-"],
  ["pci:v00008086d*sv*sd*bc*sc*i*", "pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00"],
  ["usb:v*p*d*dc*dsc*dp*ic08isc06ip50in*", "usb:v0781p5567d0100dc00dsc00dp00ic08isc06ip50in00"],
  ["of:N*T*Cvirtio,mmio", "of:NvirtioT<NULL>Cvirtio,mmio"], ["of:N*T*Cvirtio,mmioC*", "of:NxTyCvirtio,mmioCfoo"],
  ["*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaab"], ["*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"], ["a**b", "ab"],
  // Found by the fuzzer (test/fuzz/regressions/fnmatch): an unknown class is ill-formed only when
  // the scan reaches it; an unterminated bracket is an ordinary '[' even after an element matched.
  ["[a[:bogus:][c-a]*", "a:/[0b!b"], ["[a[:bogus:]", "a"], ["[a[:bogus:]]", "a"], ["[a[:bogus:]x", "ax"], ["[[:bogus:]x]", "x"],
  ["[[*", "[[x"], ["[[", "[["], ["[[\\", "[[\\"], ["[[=a", "[[=a"], ["[[.a.]", "[[.a.]"], ["[a-", "[a-"], ["[[:al", "[[:al"], ["[[=a=]]", "a"], ["[[.a.]-c]", "b"], ["[[.ab.]]", "a"], ["[[:z:]]", "z"],
  ["[a-z]*[0-9]", "abc9"], ["*[0-9]", "abc"], ["acpi*:PNP0501:*", "acpi:PNP0501:"], ["dmi*:svnLENOVO:*", "dmi:bvnX:svnLENOVO:pn1"],
];

function generated(): Array<[string, string]> {
  const alphabet = ["a", "b", "*", "?", "[ab]", "[!a]", "\\*", "-", ":", "c"];
  const out: Array<[string, string]> = [];
  let seed = 12345;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 3000; i++) {
    let pattern = "";
    for (let k = next(7); k >= 0; k--) pattern += alphabet[next(alphabet.length)];
    let text = "";
    for (let k = next(9); k > 0; k--) text += "ab*?-:c["[next(8)];
    out.push([pattern, text]);
  }
  return out;
}

function glibc(cases: Array<[string, string]>): boolean[] | undefined {
  const cc = spawnSync("cc", ["--version"]);
  if (cc.status !== 0) return undefined;
  const dir = tempDir("fnmatch");
  const source = path.join(dir, "m.c");
  fs.writeFileSync(source, '#include <fnmatch.h>\n#include <stdio.h>\n#include <string.h>\nint main(void){char p[4096],s[4096];while(fgets(p,sizeof p,stdin)&&fgets(s,sizeof s,stdin)){p[strcspn(p,"\\n")]=0;s[strcspn(s,"\\n")]=0;putchar(fnmatch(p,s,0)==0?\'1\':\'0\');}return 0;}\n');
  const binary = path.join(dir, "m");
  assert.equal(spawnSync("cc", ["-O1", "-o", binary, source]).status, 0);
  const input = cases.map(([p, s]) => `${p}\n${s}\n`).join("");
  const result = spawnSync(binary, [], { input, encoding: "latin1" });
  return [...result.stdout].map((c) => c === "1");
}

describe("fnmatch", () => {
  const all = [...CASES, ...generated()];
  it("agrees with glibc's fnmatch(3) on every case", (t) => {
    const expected = glibc(all);
    if (!expected) {
      if (process.env.CI === "true") throw new Error("no C compiler to build the glibc peer");
      return t.skip("no C compiler");
    }
    assert.equal(expected.length, all.length);
    const wrong = all.filter(([p, s], i) => fnmatch(p, s) !== expected[i]).map(([p, s]) => `${p} ~ ${s}`);
    assert.deepEqual(wrong, []);
  });

  it("the compiled matcher agrees with fnmatch", () => {
    const wrong = all.filter(([p, s]) => matchCompiled(compilePattern(p), s) !== fnmatch(p, s)).map(([p, s]) => `${p} ~ ${s}`);
    assert.deepEqual(wrong, []);
  });

  it("takes linear time on a pathological pattern", () => {
    const text = "a".repeat(20000);
    const start = process.hrtime.bigint();
    assert.equal(fnmatch("*a*a*a*a*a*a*a*a*b", text), false);
    assert.ok(Number(process.hrtime.bigint() - start) / 1e9 < 5, "no exponential backtracking");
  });
});

/**
 * FirstMatch finds what a scan of the list with fnmatch finds: lists mixing plain names (repeated
 * too) with patterns of every kind, before and after the plain match, and names that match
 * several, one or none.
 */
describe("FirstMatch", () => {
  it("finds the first pattern that fnmatch matches, for every name", () => {
    const pieces = ["a", "b", "ab", "*", "?", "[ab]", "[!a]", "\\*", "_", "-"];
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return (seed >>> 16) % n;
    };
    const word = (parts: readonly string[], most: number): string => Array.from({ length: 1 + random(most) }, () => parts[random(parts.length)]).join("");
    let plainFound = 0;
    for (let round = 0; round < 300; round++) {
      const patterns = Array.from({ length: random(8) }, () => (random(2) === 0 ? word(["a", "b", "_"], 3) : word(pieces, 3)));
      const first = new FirstMatch(patterns, (p) => p);
      for (let n = 0; n < 20; n++) {
        const plain = patterns.filter((p) => !/[*?[\\]/.test(p));
        const name = plain.length > 0 && random(2) === 0 ? plain[random(plain.length)] : word(["a", "b", "_", "-", "*"], 4);
        const expected = patterns.find((p) => fnmatch(p, name));
        assert.equal(first.find(name), expected, `${JSON.stringify(patterns)} for ${name}`);
        if (expected !== undefined && !/[*?[\\]/.test(expected)) plainFound++;
      }
    }
    assert.ok(plainFound > 100, `only ${plainFound} plain matches were tried`);
  });
});
