import fs = require("node:fs");
import path = require("node:path");
import { encodeIndex } from "../bundle/index-codec";
import { BundleWriter } from "../bundle/writer";
import { cacheFileOf, createTrainedCodeCache } from "../code-cache";
import type { CommandIO, KmodCommand } from "../cli-kit/io";
import type { IndexAlias, IndexModule, ModuleIndex } from "../index/types";

/**
 * The build's training of modprobe's code cache (scripts/build.mjs; see createTrainedCodeCache):
 * modprobe's file is run on a small bundle written here, for what the kernel and users ask of it
 * most: a lookup by name with its dependencies and softdeps (--show-depends), one by modalias
 * (-R), a dry run (-n -v), inserts (into a kernel that takes anything) and a configuration file
 * to parse. The cache then holds the functions those runs compile and nothing else. A lookup's
 * path does not depend on the bundle's size, so a bundle of a few modules trains it; its aliases
 * include a group large enough to be matched through the prefilter, as Debian's PCI aliases are.
 */
const VERSION = "0.0.0-training";
const PCI_ALIAS_PREFIX = "pci:v00008086d";

function trainingIndex(): ModuleIndex {
  const module = (name: string, deps: number[], softdeps: string[] = [], weakdeps: string[] = []): IndexModule => ({ name, path: `kernel/${name}.ko`, deps, softdeps, weakdeps });
  const modules = [module("alpha", [1, 2], ["pre: gamma-alias post: delta"], ["delta"]), module("beta", [2]), module("gamma", []), module("delta", [])];
  const alias = (pattern: string, target: number): IndexAlias => ({ pattern, key: pattern, module: target, target: modules[target].name });
  const aliases = [alias("gamma-alias", 2), alias("pci:v*d*sv*sd*bc02sc00i*", 3)];
  for (let device = 0; device < 8; device++) aliases.push(alias(`${PCI_ALIAS_PREFIX}0000${(0x1000 + device * 7).toString(16).toUpperCase()}sv*sd*bc*sc*i*`, 1));
  // One group of 64 aliases with the same literal prefix, which a query matches through the prefilter.
  for (let subclass = 0; subclass < 64; subclass++) aliases.push(alias(`${PCI_ALIAS_PREFIX}*sv*sd*bc03sc${subclass.toString(16).toUpperCase().padStart(2, "0")}i*`, 2));
  return {
    kernelVersion: VERSION,
    modules,
    aliases,
    symbols: [{ name: "alpha_symbol", module: 0 }],
    builtin: ["epsilon"],
    builtinAliases: [{ pattern: "fs-epsilon", key: "fs-epsilon", module: -1, target: "epsilon" }],
    devnames: [],
  };
}

function writeTrainingBundle(file: string): void {
  const index = trainingIndex();
  const writer = BundleWriter.create(file, 0);
  try {
    for (const module of index.modules) writer.addFile(module.path, Buffer.from(`not a module: ${module.name}\n`), 0o644, 0);
    writer.finish(encodeIndex({ index, members: writer.memberRecords }));
  } catch (error) {
    writer.abort();
    throw error;
  }
}

const CONFIG = ["# training", "alias training-alias alpha", "options alpha param=1", "softdep beta pre: gamma post: delta", "blacklist delta", "install epsilon /bin/true", ""].join("\n");

/** Trains `modprobeFile`'s code cache (a built dist/commands/modprobe.js) and writes it beside the file. */
export async function trainModprobeCodeCache(file: string): Promise<void> {
  const modprobeFile = path.resolve(file);
  const work = fs.mkdtempSync(path.join(process.getBuiltinModule("node:os").tmpdir(), "modbundle-training-"));
  try {
    const bundle = path.join(work, "modules.bundle");
    writeTrainingBundle(bundle);
    const configDir = path.join(work, "modprobe.d");
    fs.mkdirSync(configDir);
    fs.writeFileSync(path.join(configDir, "training.conf"), CONFIG);
    const common = ["--bundle", bundle, "-C", configDir, "-S", VERSION];
    const runs = [
      { args: [...common, "--show-depends", "alpha"], expect: "insmod /lib/modules/0.0.0-training/kernel/alpha.ko" },
      { args: [...common, "-R", `${PCI_ALIAS_PREFIX}0000100Esv00001AF4sd00001100bc02sc00i00`], expect: "beta\ndelta\n" },
      { args: [...common, "-R", `${PCI_ALIAS_PREFIX}00001234sv00001AF4sd00001100bc03sc2Ai00`], expect: "gamma\n" },
      { args: [...common, "-n", "-v", "training-alias"], expect: "insmod /lib/modules/0.0.0-training/kernel/alpha.ko param=1" },
      // Inserts (the kernel's own requests are): one at a time, and through the batch executor.
      { args: [...common, "-v", "-j", "1", "training-alias"], expect: "insmod /lib/modules/0.0.0-training/kernel/alpha.ko param=1" },
      { args: [...common, "-v", "-j", "2", "-a", "training-alias", "beta"], expect: "insmod /lib/modules/0.0.0-training/kernel/beta.ko" },
    ];
    // A kernel that takes every image and keeps nothing: a trained run reads and checks the
    // module's bytes as a real insert does, and never reaches a system call.
    const kernel = {
      initstate: () => undefined,
      inKernelDecompression: () => undefined,
      loadModule: () => Promise.resolve(),
      parallelLoads: () => undefined,
    } as unknown as ReturnType<CommandIO["kernel"]>;
    const cache = await createTrainedCodeCache(modprobeFile, async (exports) => {
      const run = (exports as { run: KmodCommand }).run;
      for (const { args, expect } of runs) {
        let output = "";
        const io: CommandIO = {
          prog: "modprobe",
          env: {},
          stdout: (text) => (output += text),
          stderr: (text) => (output += text),
          kernel: () => kernel,
          system: () => 0,
          kernelCmdline: () => "BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro quiet alpha.param=2 modprobe.blacklist=gamma",
          release: () => VERSION,
        };
        const status = await run(args, io);
        if (status !== 0 || !output.includes(expect)) throw new Error(`modprobe ${args.slice(common.length).join(" ")} gave ${status}: ${output}`);
      }
    });
    fs.writeFileSync(cacheFileOf(modprobeFile), cache);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
