import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { it } from "node:test";
import fc from "fast-check";
import { run as runInfo } from "../../src/commands/info";
import { run as runList } from "../../src/commands/list";
import { run as runModinfo } from "../../src/commands/modinfo";
import { run as runUnpack } from "../../src/commands/unpack";
import { run as runVerify } from "../../src/commands/verify";
import { FakeKernel } from "../../src/kernel/fake-kernel";
import { runModprobe } from "../../src/modprobe/run";
import { runInProcess } from "../helpers/inprocess";
import { tempDir } from "../helpers/paths";
import { FUZZ_VERSION, BundleSample, bundleSamples } from "./bundles";
import { FuzzTarget, assertCommandOutcome, expectClean, fuzzTest, regressionTests } from "./harness";
import { Mutation, applyMutations, mutationsArbitrary } from "./mutate";
import { captureStdio } from "./stdio-capture";

/**
 * Every command that reads a bundle, on raw-mutated real bundles: verify, list, info, unpack
 * (into a fresh directory), modprobe --show-depends, -R, -c, modinfo, and a load of a module
 * with its dependencies into the fake kernel. The bundle tools must succeed or throw a one-line
 * ModbundleError (the CLI prints it and exits 1); the kmod commands must exit 0 or 1 with every
 * line of standard error in their format.
 */
interface CommandsInput {
  readonly sample: number;
  readonly mutations: readonly Mutation[];
  /** Regression files only: byte strings replaced (first occurrence), robust to format changes. */
  readonly replace?: ReadonlyArray<{ readonly find: string; readonly with: string }>;
}

function replaceFirst(data: Buffer, find: string, by: string): Buffer {
  const at = data.indexOf(Buffer.from(find, "latin1"));
  if (at < 0) throw new Error(`regression: ${JSON.stringify(find)} is not in the bundle`);
  const replacement = Buffer.from(by, "latin1");
  if (replacement.length !== find.length) throw new Error("regression: a replacement must keep the length");
  const out = Buffer.from(data);
  replacement.copy(out, at);
  return out;
}

interface Scratch {
  readonly dir: string;
  readonly bundle: string;
  readonly config: string;
  readonly root: string;
}

function scratch(): Scratch {
  const dir = tempDir("fuzz-commands");
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  const config = path.join(dir, "modprobe.d");
  fs.mkdirSync(config);
  fs.writeFileSync(path.join(config, "fuzz.conf"), "options top level=1\nsoftdep mid post: lonely\nalias fuzz-alias top\nblacklist extra\n");
  return { dir, bundle: path.join(dir, "mutated.bundle"), config, root: path.join(dir, "root") };
}

/** With `strict` (an undamaged bundle), every command must succeed silently. */
async function run(samples: readonly BundleSample[], work: Scratch, input: CommandsInput, strict = false): Promise<void> {
  const sample = samples[input.sample % samples.length];
  let data = applyMutations(sample.data, input.mutations, sample.hot);
  for (const { find, with: by } of input.replace ?? []) data = replaceFirst(data, find, by);
  fs.writeFileSync(work.bundle, data);
  const tools = async (operation: () => unknown): Promise<void> => {
    const { result, stderr } = await captureStdio(() => expectClean(operation));
    assertCommandOutcome("modbundle", 1, stderr);
    if (strict) assert.deepEqual([result, stderr], ["ok", ""]);
  };
  const kmod = async (prog: "modprobe" | "modinfo", args: readonly string[], kernel?: FakeKernel): Promise<void> => {
    const command = prog === "modprobe" ? runModprobe : runModinfo;
    const result = await runInProcess(command, args, { prog, kernel, env: { PATH: process.env.PATH } });
    assertCommandOutcome(prog, result.status, result.stderr);
    if (strict) assert.deepEqual([result.status, result.stderr], [0, ""], `${prog} ${args.join(" ")}`);
    if (strict && kernel) assert.ok(kernel.loadedNames().length > 0, "nothing loaded");
  };
  await tools(() => runVerify({ bundle: work.bundle, quiet: true }));
  await tools(() => runList({ bundle: work.bundle, long: true }));
  await tools(() => runInfo({ bundle: work.bundle }));
  const target = path.join(work.dir, "unpacked");
  try {
    await tools(() => runUnpack({ bundle: work.bundle, directory: target, force: false }));
  } finally {
    fs.rmSync(target, { recursive: true, force: true });
  }
  const modprobe = ["--bundle", work.bundle, "-d", work.root, "-S", FUZZ_VERSION, "-C", work.config];
  await kmod("modprobe", [...modprobe, "--show-depends", sample.module]);
  await kmod("modprobe", [...modprobe, "-R", sample.alias]);
  await kmod("modprobe", [...modprobe, "-c"]);
  await kmod("modinfo", ["--bundle", work.bundle, "-b", work.root, "-k", FUZZ_VERSION, sample.module]);
  await kmod("modprobe", [...modprobe, sample.module], sample.kernel());
}

async function target(): Promise<FuzzTarget<CommandsInput>> {
  const samples = await bundleSamples();
  const work = scratch();
  return {
    name: "bundle-commands",
    arbitrary: fc.record({ sample: fc.nat({ max: 1000 }), mutations: mutationsArbitrary() }),
    run: (input) => run(samples, work, input),
    ciRuns: 400,
    describe: (input) => JSON.stringify({ sample: samples[input.sample % samples.length].name, mutations: input.mutations }),
    fromFile: (data) => {
      const stored = JSON.parse(data.toString("utf8")) as { sample: string; mutations?: Mutation[]; replace?: CommandsInput["replace"] };
      const index = samples.findIndex((s) => s.name === stored.sample);
      if (index < 0) throw new Error(`no bundle sample ${stored.sample}`);
      return { sample: index, mutations: stored.mutations ?? [], replace: stored.replace };
    },
  };
}

it("every command succeeds on each undamaged bundle sample", async () => {
  const samples = await bundleSamples();
  const work = scratch();
  for (let sample = 0; sample < samples.length; sample++) await run(samples, work, { sample, mutations: [] }, true);
});

fuzzTest("bundle-commands", target);
regressionTests("bundle-commands", target);
