import assert from "node:assert/strict";
import { it } from "node:test";
import fc from "fast-check";
import { parsePkcs7Signer } from "../../src/elf/pkcs7";
import { FuzzTarget, fuzzTest, regressionTests } from "./harness";
import { signatureSamples } from "./fixtures";
import { Mutation, applyMutations, mutationsArbitrary } from "./mutate";

/**
 * The DER/PKCS#7 parser behind modinfo's signature fields: the real modules' signatures mutated
 * raw, and DER trees built from scratch with hostile lengths (long forms, indefinite length,
 * lengths past the end, deep nesting). The parser answers with a signer or undefined; nothing
 * else may escape it.
 */
type DerInput =
  | { readonly kind: "mutated"; readonly sample: number; readonly mutations: readonly Mutation[] }
  | { readonly kind: "built"; readonly bytes: readonly number[] };

interface Tlv {
  readonly tag: number;
  readonly length?: readonly number[];
  readonly children?: readonly Tlv[];
  readonly content?: readonly number[];
}

const lengthForms = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom([0x80], [0x81, 0xff], [0x84, 0xff, 0xff, 0xff, 0xff], [0x88, 0, 0, 0, 0, 0, 0, 0, 1], [0x82, 0x7f, 0xff], [0x85, 1, 0, 0, 0, 0], [0xff]),
);
const TAGS = [0x30, 0x31, 0xa0, 0xa1, 0x02, 0x04, 0x06, 0x05, 0x0c, 0x13, 0x17, 0x1e, 0x1c, 0x03, 0x01, 0xbf, 0x1f];

const tlvArbitrary: fc.Arbitrary<Tlv> = fc.letrec<{ tlv: Tlv }>((tie) => ({
  tlv: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({ tag: fc.constantFrom(...TAGS), length: lengthForms, content: fc.array(fc.nat({ max: 255 }), { maxLength: 12 }) }),
    fc.record({ tag: fc.constantFrom(0x30, 0x31, 0xa0, 0xa3), length: lengthForms, children: fc.array(tie("tlv"), { maxLength: 4 }) }),
  ),
})).tlv;

function encodeTlv(node: Tlv): number[] {
  const body = node.children ? node.children.flatMap(encodeTlv) : [...(node.content ?? [])];
  let length = node.length ? [...node.length] : [];
  if (!node.length) {
    if (body.length < 0x80) length = [body.length];
    else length = [0x82, body.length >> 8, body.length & 0xff];
  }
  return [node.tag, ...length, ...body];
}

const OID_SIGNED_DATA_DER = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];

/** Built inputs start like a real signature (ContentInfo with the SignedData OID) half the time. */
const builtArbitrary = fc.record({ signed: fc.boolean(), tree: tlvArbitrary }).map(({ signed, tree }) => {
  const inner = encodeTlv(tree);
  const bytes = signed ? encodeTlv({ tag: 0x30, content: [...OID_SIGNED_DATA_DER, 0xa0, ...(inner.length < 0x80 ? [inner.length] : [0x82, inner.length >> 8, inner.length & 0xff]), ...inner] }) : inner;
  return { kind: "built" as const, bytes };
});

function target(): FuzzTarget<DerInput> {
  const samples = signatureSamples();
  const toBytes = (input: DerInput): Buffer =>
    input.kind === "built" ? Buffer.from(input.bytes) : applyMutations(samples[input.sample % samples.length].data, input.mutations, [[0, 64]]);
  const arbitraries: Array<fc.Arbitrary<DerInput>> = [builtArbitrary];
  if (samples.length > 0) {
    arbitraries.push(fc.record({ kind: fc.constant("mutated" as const), sample: fc.nat({ max: 1000 }), mutations: mutationsArbitrary() }));
  }
  return {
    name: "pkcs7-signature",
    arbitrary: fc.oneof(...arbitraries),
    run: (input) => void parsePkcs7Signer(toBytes(input)),
    ciRuns: 4000,
    describe: (input) => JSON.stringify(input),
    fromFile: (data, name) => (name.endsWith(".der") ? { kind: "built", bytes: [...data] } : (JSON.parse(data.toString("utf8")) as DerInput)),
  };
}

it("every undamaged signature sample names its signer", () => {
  const samples = signatureSamples();
  assert.ok(samples.length >= 3, `${samples.length} signatures`);
  for (const { name, data } of samples) assert.ok(parsePkcs7Signer(data)?.signer.length, name);
});

fuzzTest("pkcs7-signature", async () => target());
regressionTests("pkcs7-signature", async () => target());
