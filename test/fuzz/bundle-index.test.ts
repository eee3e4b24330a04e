import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { it } from "node:test";
import fc from "fast-check";
import { run as runInfo } from "../../src/commands/info";
import { run as runList } from "../../src/commands/list";
import { run as runModinfo } from "../../src/commands/modinfo";
import { run as runVerify } from "../../src/commands/verify";
import { FakeKernel } from "../../src/kernel/fake-kernel";
import { runModprobe } from "../../src/modprobe/run";
import { indexLocation } from "../helpers/index-edit";
import { runInProcess } from "../helpers/inprocess";
import { tempDir } from "../helpers/paths";
import { FUZZ_VERSION, BundleSample, bundleSamples } from "./bundles";
import { FuzzTarget, assertCommandOutcome, expectClean, fuzzTest, regressionTests } from "./harness";
import { IndexModel, IndexMutations, decodeModel, encodeModel, indexMutationsArbitrary, mutateBundleIndex } from "./index-structure";
import { captureStdio } from "./stdio-capture";

/**
 * The bundle reader behind its checksums: real bundles whose index is mutated structurally
 * (index-structure.ts: content re-encoded, sections, section table, raw bytes, header) with every
 * CRC recomputed, then read by every command that reads an index: verify, list --long, info,
 * modprobe --show-depends / -R / -n of names the mutated index holds, modprobe -c, modinfo (as on
 * a terminal) and a load into the fake kernel. Besides the shared property (success or one line,
 * bounded time and memory), nothing any of them prints may hold a raw control character but
 * newline and tab, nor a UTF-8 C1 control: strings from a bundle are escaped.
 */
interface IndexInput {
  readonly sample: number;
  readonly mutations: IndexMutations;
  /** Seeds choosing the names asked for among those the mutated index holds. */
  readonly names: readonly [number, number, number];
}

// eslint-disable-next-line no-control-regex -- raw control characters are what is looked for
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]/;

function assertEscaped(text: string, what: string): void {
  const found = RAW_CONTROL.exec(text);
  if (found) {
    const around = text.slice(Math.max(0, found.index - 40), found.index + 40);
    assert.fail(`${what} printed a raw control character: ${JSON.stringify(around)}`);
  }
}

/** A name a user could type: no NUL (argv cannot hold one), no leading '-' (an option). */
function askable(name: string | undefined): name is string {
  return name !== undefined && name.length > 0 && name.length < 4096 && !name.includes("\0") && !name.startsWith("-");
}

/** The names to ask for: a module, an alias and another module or builtin name, chosen in the model. */
function chooseNames(model: IndexModel, sample: BundleSample, seeds: IndexInput["names"]): { module: string; alias: string; other: string } {
  const modules = model.modules.map((m) => m.name);
  const aliases = model.aliases.map((a) => a.pattern.replace(/\*/g, "").replace(/\?/g, "x"));
  const others = [...modules, ...model.builtin, ...aliases];
  const choose = (list: string[], at: number, fallback: string): string => {
    const name = list.length === 0 ? undefined : list[at % list.length];
    return askable(name) ? name : fallback;
  };
  return {
    module: choose([sample.module, ...modules], seeds[0], sample.module),
    alias: choose([sample.alias, ...aliases], seeds[1], sample.alias),
    other: choose(others, seeds[2], sample.module),
  };
}

interface Scratch {
  readonly dir: string;
  readonly bundle: string;
  readonly config: string;
  readonly root: string;
}

function scratch(): Scratch {
  const dir = tempDir("fuzz-index");
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  const config = path.join(dir, "modprobe.d");
  fs.mkdirSync(config);
  fs.writeFileSync(path.join(config, "fuzz.conf"), "options top level=1\nsoftdep mid post: lonely\nalias fuzz-alias top\n");
  return { dir, bundle: path.join(dir, "mutated.bundle"), config, root: path.join(dir, "root") };
}

/** modinfo as on a terminal, where it escapes what it prints. */
async function onTerminal<T>(operation: () => Promise<T>): Promise<T> {
  const stdout = process.stdout as { isTTY?: boolean };
  const was = stdout.isTTY;
  stdout.isTTY = true;
  try {
    return await operation();
  } finally {
    stdout.isTTY = was;
  }
}

/** With `strict` (no mutation), every command must succeed silently. */
async function run(samples: readonly BundleSample[], work: Scratch, input: IndexInput, strict = false): Promise<void> {
  const sample = samples[input.sample % samples.length];
  const { bundle, model } = mutateBundleIndex(sample.data, input.mutations);
  fs.writeFileSync(work.bundle, bundle);
  const names = chooseNames(model, sample, input.names);
  const tools = async (what: string, operation: () => unknown): Promise<void> => {
    const { result, stdout, stderr } = await captureStdio(() => expectClean(operation));
    assertCommandOutcome("modbundle", 1, stderr);
    assertEscaped(stdout + stderr, what);
    if (strict) assert.deepEqual([result, stderr], ["ok", ""], what);
  };
  const kmod = async (prog: "modprobe" | "modinfo", args: readonly string[], kernel?: FakeKernel): Promise<void> => {
    const command = prog === "modprobe" ? runModprobe : runModinfo;
    const call = (): ReturnType<typeof runInProcess> => runInProcess(command, args, { prog, kernel, env: { PATH: process.env.PATH, MODBUNDLE_JOBS: "1" } });
    const result = prog === "modinfo" ? await onTerminal(call) : await call();
    assertCommandOutcome(prog, result.status, result.stderr);
    assertEscaped(result.stdout + result.stderr, `${prog} ${args.join(" ")}`);
    if (strict) assert.deepEqual([result.status, result.stderr], [0, ""], `${prog} ${args.join(" ")}`);
  };
  await tools("verify", () => runVerify({ bundle: work.bundle, quiet: true }));
  await tools("list --long", () => runList({ bundle: work.bundle, long: true }));
  await tools("info", () => runInfo({ bundle: work.bundle }));
  const modprobe = ["--bundle", work.bundle, "-d", work.root, "-S", FUZZ_VERSION, "-C", work.config];
  await kmod("modprobe", [...modprobe, "--show-depends", "--", names.module]);
  await kmod("modprobe", [...modprobe, "-R", "--", names.alias]);
  await kmod("modprobe", [...modprobe, "-c"]);
  await kmod("modprobe", [...modprobe, "-n", "-v", "--", names.other], sample.kernel());
  await kmod("modinfo", ["--bundle", work.bundle, "-b", work.root, "-k", FUZZ_VERSION, "--", names.other]);
  const kernel = sample.kernel();
  await kmod("modprobe", [...modprobe, "--", names.module], kernel);
  if (strict) assert.ok(kernel.loadedNames().length > 0, "nothing loaded");
}

const NO_MUTATIONS: IndexMutations = { content: [], sections: [], directory: [], raw: [], header: [] };

async function target(): Promise<FuzzTarget<IndexInput>> {
  const samples = await bundleSamples();
  const work = scratch();
  return {
    name: "bundle-index",
    arbitrary: fc.record({
      sample: fc.nat({ max: 1000 }),
      mutations: indexMutationsArbitrary,
      names: fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })),
    }),
    run: (input) => run(samples, work, input),
    ciRuns: 400,
    describe: (input) => JSON.stringify({ sample: samples[input.sample % samples.length].name, mutations: input.mutations, names: input.names }),
    // A regression file: {"about": "...", "sample": NAME, "mutations": {...}, "names": [a, b, c]}.
    fromFile: (data) => {
      const stored = JSON.parse(data.toString("utf8")) as { sample: string; mutations: Partial<IndexMutations>; names?: [number, number, number] };
      const index = samples.findIndex((s) => s.name === stored.sample);
      if (index < 0) throw new Error(`no bundle sample ${stored.sample}`);
      return { sample: index, mutations: { ...NO_MUTATIONS, ...stored.mutations }, names: stored.names ?? [0, 0, 0] };
    },
  };
}

it("the index model round-trips: decoded and re-encoded, each sample's index is the same bytes", async () => {
  for (const sample of await bundleSamples()) {
    const { offset, length } = indexLocation(sample.data);
    const index = sample.data.subarray(offset, offset + length);
    assert.ok(encodeModel(decodeModel(index)).equals(index), sample.name);
    assert.ok(mutateBundleIndex(sample.data, NO_MUTATIONS).bundle.equals(sample.data), sample.name);
  }
});

it("every command succeeds silently on each unmutated sample", async () => {
  const samples = await bundleSamples();
  const work = scratch();
  for (let sample = 0; sample < samples.length; sample++) await run(samples, work, { sample, mutations: NO_MUTATIONS, names: [0, 0, 0] }, true);
});

fuzzTest("bundle-index", target);
regressionTests("bundle-index", target);
