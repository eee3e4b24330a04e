import assert from "node:assert/strict";
import fc from "fast-check";
import { compress } from "../../src/compress/compress";
import { decompress } from "../../src/compress/decompress";
import { FuzzTarget, fuzzTest, regressionTests } from "./harness";
import { moduleSamples } from "./fixtures";
import { Mutation, applyMutations, mutationsArbitrary } from "./mutate";

/**
 * The three decoders behind a bounded decode, on damaged xz, zstd and gzip modules, with and
 * without the size an index records: a decode succeeds within its bound or is refused in one
 * line, in bounded time and memory.
 */
const KINDS = ["xz", "zstd", "gzip"] as const;

interface DecompressInput {
  readonly kind: number;
  readonly mutations: readonly Mutation[];
  readonly recorded: boolean;
}

function target(): FuzzTarget<DecompressInput> {
  const module = moduleSamples().find((s) => s.name.endsWith("dummy.ko")) ?? moduleSamples()[0];
  const encoded = KINDS.map((kind) => compress(kind, module.data, module.name));
  return {
    name: "decompress",
    arbitrary: fc.record({ kind: fc.nat({ max: 2 }), mutations: mutationsArbitrary(), recorded: fc.boolean() }),
    run: async (input) => {
      const kind = KINDS[input.kind];
      const data = applyMutations(encoded[input.kind], input.mutations, [[0, 64]]);
      const expectedSize = input.recorded ? module.data.length : undefined;
      const out = await decompress(kind, data, `${module.name}.${kind}`, { expectedSize });
      if (expectedSize !== undefined) assert.equal(out.length, expectedSize);
    },
    ciRuns: 1500,
    describe: (input) => JSON.stringify({ kind: KINDS[input.kind], sample: module.name, mutations: input.mutations, recorded: input.recorded }),
    fromFile: (data) => JSON.parse(data.toString("utf8")) as DecompressInput,
  };
}

fuzzTest("decompress", target);
regressionTests("decompress", target);
