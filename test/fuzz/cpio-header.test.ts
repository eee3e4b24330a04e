import assert from "node:assert/strict";
import fc from "fast-check";
import { CPIO_HEADER_SIZE, decodeHeader, encodeMemberHead, headerAndNameSize, MemberSpec } from "../../src/bundle/cpio";
import { FuzzTarget, fuzzTest, regressionTests } from "./harness";
import { Mutation, applyMutations, mutationsArbitrary } from "./mutate";

/**
 * The newc cpio header codec: every header the encoder writes decodes to what was encoded, and
 * any damage to one decodes to 32-bit fields or is refused in one line.
 */
interface CpioInput {
  readonly spec: MemberSpec;
  readonly mutations: readonly Mutation[];
}

const u32 = fc.nat({ max: 0xffffffff });
const specArbitrary: fc.Arbitrary<MemberSpec> = fc.record({
  name: fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789_-./"), minLength: 1, maxLength: 40 }),
  ino: u32,
  mode: u32,
  nlink: u32,
  mtime: u32,
  fileSize: u32,
});

function run(input: CpioInput): void {
  const head = encodeMemberHead(input.spec);
  assert.equal(head.length, headerAndNameSize(Buffer.byteLength(input.spec.name) + 1));
  const decoded = decodeHeader(head, "fuzz");
  for (const field of ["ino", "mode", "nlink", "mtime", "fileSize"] as const) assert.equal(decoded[field], input.spec[field], field);
  assert.equal(decoded.nameSize, Buffer.byteLength(input.spec.name) + 1);
  assert.equal(head.toString("latin1", CPIO_HEADER_SIZE, CPIO_HEADER_SIZE + decoded.nameSize - 1), input.spec.name);

  const damaged = decodeHeader(applyMutations(head, input.mutations, [[0, CPIO_HEADER_SIZE]]), "fuzz");
  for (const [field, value] of Object.entries(damaged)) {
    assert.ok(Number.isInteger(value) && value >= 0 && value <= 0xffffffff, `${field} = ${value}`);
  }
  assert.ok(headerAndNameSize(damaged.nameSize) >= CPIO_HEADER_SIZE);
}

export const cpioTarget: FuzzTarget<CpioInput> = {
  name: "cpio-header",
  arbitrary: fc.record({ spec: specArbitrary, mutations: mutationsArbitrary() }),
  run,
  ciRuns: 3000,
  describe: (input) => JSON.stringify(input),
  fromFile: (data) => JSON.parse(data.toString("utf8")) as CpioInput,
};

fuzzTest("cpio-header", cpioTarget);
regressionTests("cpio-header", cpioTarget);
