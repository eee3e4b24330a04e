import assert from "node:assert/strict";
import { it } from "node:test";
import fc from "fast-check";
import { ElfFile } from "../../src/elf/elf-file";
import { readModuleLinkage, readModuleObject } from "../../src/elf/module-elf";
import { depmodModule } from "../../src/index/depmod";
import { InfoError, moduleFileInfo } from "../../src/info/modinfo";
import { initModuleImage } from "../../src/kernel/prepare-image";
import { FuzzTarget, expectClean, fuzzTest, regressionTests } from "./harness";
import { ModuleSample, moduleSamples } from "./fixtures";
import { Mutation, applyMutations, mutationsArbitrary } from "./mutate";

/**
 * The ELF reader on mutated modules of every class and byte order: what pack reads (the module
 * object, then depmod's view of it), what modinfo reads (.modinfo and the signature trailer) and
 * what init_module's strip edits (a copy with __versions and vermagic stripped). modinfo's
 * InfoError is its errno verdict (printed in one line by the command), so it counts as a refusal.
 */
interface ElfInput {
  readonly sample: number;
  readonly mutations: readonly Mutation[];
}

function mutated(samples: readonly ModuleSample[], input: ElfInput): { name: string; data: Buffer } {
  const base = samples[input.sample % samples.length];
  return { name: base.name, data: applyMutations(base.data, input.mutations, base.hot) };
}

async function run(samples: readonly ModuleSample[], input: ElfInput): Promise<void> {
  const { name, data } = mutated(samples, input);
  await expectClean(() => depmodModule(`kernel/${name}`, readModuleLinkage(new ElfFile(data, name))));
  await expectClean(() => readModuleObject(new ElfFile(data, name)));
  await expectClean(() => {
    try {
      moduleFileInfo(data, name);
    } catch (error) {
      if (!(error instanceof InfoError)) throw error;
    }
  });
  await expectClean(() => initModuleImage(data, "none", { ignoreModversions: true, ignoreVermagic: true }, name));
}

function target(): FuzzTarget<ElfInput> {
  const samples = moduleSamples();
  return {
    name: "elf-module",
    arbitrary: fc.record({ sample: fc.nat({ max: 1000 }), mutations: mutationsArbitrary() }),
    run: (input) => run(samples, input),
    ciRuns: 2000,
    describe: (input) => JSON.stringify({ sample: samples[input.sample % samples.length].name, mutations: input.mutations }),
    fromFile: (data) => {
      const stored = JSON.parse(data.toString("utf8")) as { sample: string; mutations: Mutation[] };
      const index = samples.findIndex((s) => s.name === stored.sample);
      if (index < 0) throw new Error(`no module sample ${stored.sample}`);
      return { sample: index, mutations: stored.mutations };
    },
  };
}

it("every undamaged sample is read whole: object, modinfo fields and, for Debian's, the signature", () => {
  for (const sample of moduleSamples()) {
    const object = readModuleObject(new ElfFile(sample.data, sample.name));
    assert.ok(object.modinfo.length > 0, sample.name);
    const fields = moduleFileInfo(sample.data, sample.name).map((f) => f.key);
    if (!sample.name.startsWith("synthetic")) assert.ok(fields.includes("signer"), `${sample.name}: ${fields.join(" ")}`);
  }
  assert.ok(moduleSamples().length >= 4);
});

fuzzTest("elf-module", async () => target());
regressionTests("elf-module", async () => target());
