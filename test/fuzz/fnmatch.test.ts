import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import fc from "fast-check";
import { compilePattern, fnmatch, matchCompiled } from "../../src/util/fnmatch";
import { FuzzTarget, fuzzTest, regressionTests } from "./harness";

/**
 * fnmatch against glibc's own fnmatch(3) (flags 0, the C locale, as kmod calls it), through
 * Python's ctypes, a batch of pairs per case; and the compiled fast path against the general
 * matcher. Patterns are made of the pieces that have rules of their own: stars, '?', brackets
 * (negated, ranges, classes, a leading ']'), backslashes. Without python3 only the internal
 * agreement is checked.
 */
interface Pair {
  readonly pattern: string;
  readonly text: string;
}

const PATTERN_PIECES = ["a", "b", "c", "z", "0", "9", "-", "_", ".", "/", ":", "=", "*", "*", "?", "[", "]", "!", "^", "\\",
  "[:alpha:]", "[:digit:]", "[:xdigit:]", "[:bogus:]", "[:z:]", "[::]", "[!a]", "[^b]", "[a-c]", "[]a]", "[c-a]", "[\\]]",
  "[=a=]", "[=", "=]", "[.a.]", "[.-.]", "[.ab.]", "[.", ".]", "-[.c.]"];
const TEXT_PIECES = ["a", "b", "c", "z", "0", "9", "-", "_", ".", "/", ":", "=", "[", "]", "!", "^", "\\", "*", "?", "ab", "abc"];

const pairArbitrary: fc.Arbitrary<Pair> = fc.record({
  pattern: fc.array(fc.constantFrom(...PATTERN_PIECES), { maxLength: 10 }).map((p) => p.join("")),
  text: fc.array(fc.constantFrom(...TEXT_PIECES), { maxLength: 12 }).map((t) => t.join("")),
});

const PYTHON = ["/usr/bin/python3", "python3"].find((p) => !p.startsWith("/") || fs.existsSync(p));
const GLIBC_FNMATCH = `
import ctypes, sys
libc = ctypes.CDLL("libc.so.6")
out = []
for line in sys.stdin.buffer.read().split(b"\\n"):
    if not line:
        continue
    p, t = line.split(b" ")
    out.append("1" if libc.fnmatch(bytes.fromhex(p.decode()), bytes.fromhex(t.decode()), 0) == 0 else "0")
print("".join(out))
`;

let glibcUsable = PYTHON !== undefined;

function glibcMatches(pairs: readonly Pair[]): boolean[] | undefined {
  if (!glibcUsable || PYTHON === undefined) return undefined;
  const input = pairs.map((p) => `${Buffer.from(p.pattern, "latin1").toString("hex")} ${Buffer.from(p.text, "latin1").toString("hex")}\n`).join("");
  const result = spawnSync(PYTHON, ["-c", GLIBC_FNMATCH], { input, encoding: "latin1", env: { LC_ALL: "C", PATH: process.env.PATH } });
  if (result.status !== 0) {
    glibcUsable = false;
    return undefined;
  }
  return [...result.stdout.trim()].map((c) => c === "1");
}

function run(pairs: readonly Pair[]): void {
  const ours = pairs.map(({ pattern, text }) => {
    const general = fnmatch(pattern, text);
    assert.equal(matchCompiled(compilePattern(pattern), text), general, `compiled and general matchers disagree on ${JSON.stringify([pattern, text])}`);
    return general;
  });
  const glibc = glibcMatches(pairs);
  if (glibc === undefined) return;
  assert.equal(glibc.length, pairs.length);
  pairs.forEach(({ pattern, text }, i) => {
    assert.equal(ours[i], glibc[i], `fnmatch(${JSON.stringify(pattern)}, ${JSON.stringify(text)}): ours ${ours[i]}, glibc ${glibc[i]}`);
  });
}

export const fnmatchTarget: FuzzTarget<Pair[]> = {
  name: "fnmatch",
  arbitrary: fc.array(pairArbitrary, { minLength: 1, maxLength: 400 }),
  run,
  ciRuns: 60,
  describe: (pairs) => JSON.stringify(pairs),
  fromFile: (data) => JSON.parse(data.toString("utf8")) as Pair[],
};

fuzzTest("fnmatch", fnmatchTarget);
regressionTests("fnmatch", fnmatchTarget);
