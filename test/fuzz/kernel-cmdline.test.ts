import fc from "fast-check";
import { parseKernelCmdline } from "../../src/config/kcmdline";
import { emptyConfig } from "../../src/config/types";
import { FuzzTarget, assertOneLine, fuzzTest, regressionTests } from "./harness";

/**
 * The kernel command line parser, on lines made of the pieces its state machine turns on: module
 * and parameter names, '.', '=', quotes, spaces, modprobe.blacklist lists, and stray bytes.
 * Warnings, if any, are one line each.
 */
const PIECES = ["mod", "dummy", "snd-hda", "x", "param", "p", "1", "value", ".", ".", "=", "=", '"', '"', " ", " ", "  ", "\t", ",",
  "modprobe.blacklist=", "modprobe.blacklist", "quiet", "root=/dev/vda", "-", "_", "\n", "\0", "é", "\\"];

const cmdlineArbitrary = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((p) => p.join("")) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
);

function run(cmdline: string): void {
  const config = emptyConfig();
  parseKernelCmdline(config, cmdline, (message) => assertOneLine(message, "warning"));
}

export const kernelCmdlineTarget: FuzzTarget<string> = {
  name: "kernel-cmdline",
  arbitrary: cmdlineArbitrary,
  run,
  ciRuns: 5000,
  describe: (cmdline) => JSON.stringify(cmdline),
  fromFile: (data) => data.toString("latin1"),
};

fuzzTest("kernel-cmdline", kernelCmdlineTarget);
regressionTests("kernel-cmdline", kernelCmdlineTarget);
