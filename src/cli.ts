import fs = require("node:fs");
import path = require("node:path");
import { loadOwnModule } from "./code-cache";
import { ModbundleError } from "./errors";
import { logLine } from "./cli-kit/output";
import { flushStdout, writeStderr, writeStdout } from "./cli-kit/stdio";
import { argumentBytes, environmentBytes } from "./cli-kit/process-bytes";
import { shellInvocation } from "./cli-kit/shell";
import { timingMark, timingTotals } from "./util/timing";
import type { CommandIO, KmodCommand } from "./cli-kit/io";
import type { Kernel } from "./kernel/kernel";

/**
 * The program's only entry point, and the only place that turns errors into messages and exit
 * statuses. Invoked as modprobe, insmod, rmmod, lsmod or modinfo (a symbolic link), or as
 * `modbundle <command>`. Each command is a separate file loaded only when it runs (the build
 * keeps them apart, and writes V8's code cache for each), so that start-up pays for nothing the
 * command does not use.
 */
const ownFile = (relative: string): string => path.join(__dirname, relative);

const KMOD_COMMANDS: Record<string, () => KmodCommand> = {
  modprobe: () => loadOwnModule<typeof import("./commands/modprobe")>(ownFile("commands/modprobe.js")).run,
  insmod: () => loadOwnModule<typeof import("./commands/insmod")>(ownFile("commands/insmod.js")).run,
  rmmod: () => loadOwnModule<typeof import("./commands/rmmod")>(ownFile("commands/rmmod.js")).run,
  lsmod: () => loadOwnModule<typeof import("./commands/lsmod")>(ownFile("commands/lsmod.js")).run,
  modinfo: () => loadOwnModule<typeof import("./commands/modinfo")>(ownFile("commands/modinfo.js")).run,
  coldplug: () => loadOwnModule<typeof import("./commands/coldplug")>(ownFile("commands/coldplug.js")).run,
};

function createKernel(env: NodeJS.ProcessEnv): Kernel {
  return loadOwnModule<typeof import("./kernel/factory")>(ownFile("kernel/factory.js")).createKernel(env);
}

function runTools(argv: readonly string[], program: string): Promise<number> {
  return loadOwnModule<typeof import("./commands/tools")>(ownFile("commands/tools.js")).runTools(argv, program);
}

/** The kmod commands see the process's arguments and environment as byte strings (util/bytes). */
function processIO(prog: string): CommandIO {
  let kernel: Kernel | undefined;
  return {
    prog,
    env: environmentBytes(process.env),
    stdout: writeStdout,
    stderr: (text) => writeStderr(text),
    kernel: () => (kernel ??= createKernel(process.env)),
    system: (command, env) => {
      flushStdout();
      const { spawnSync } = process.getBuiltinModule("node:child_process");
      const shell = shellInvocation(command, env);
      const result = spawnSync("/bin/sh", shell.args, { stdio: "inherit", env: shell.env });
      return result.status ?? (result.signal ? 128 : 127);
    },
    kernelCmdline: () => {
      try {
        return fs.readFileSync("/proc/cmdline", "latin1");
      } catch {
        return undefined;
      }
    },
    release: () => process.getBuiltinModule("node:os").release(),
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  timingMark("main");
  const invokedAs = path.basename(argv[1] ?? "modbundle");
  // `modbundle help modprobe` is `modprobe --help`: the command's own, real usage.
  const helpFor = argv[2] === "help" && argv.length === 4 && KMOD_COMMANDS[argv[3]] ? argv[3] : undefined;
  const kmodName = KMOD_COMMANDS[invokedAs] ? invokedAs : KMOD_COMMANDS[argv[2]] ? argv[2] : helpFor;
  const prog = kmodName ?? "modbundle";
  try {
    if (kmodName !== undefined) {
      const args = helpFor !== undefined ? ["--help"] : argumentBytes(kmodName === invokedAs ? argv.slice(2) : argv.slice(3));
      const command = KMOD_COMMANDS[kmodName]();
      timingMark("command loaded");
      return await command(args, processIO(kmodName));
    }
    return await runTools(argv.slice(2), argv[1] ?? "modbundle");
  } catch (error) {
    if (error instanceof ModbundleError) {
      // A kmod command's messages are byte strings; the bundle tools' are Node's text.
      logLine(prog, prog === "modbundle" ? "ERROR" : "FATAL", error.message, prog === "modbundle" ? "utf8" : "latin1");
      return 1;
    }
    const reason = error instanceof Error ? error.message : String(error);
    logLine(prog, "ERROR", `internal error: ${reason}`);
    return 1;
  }
}

// The command is done and its output written (stdio.ts writes synchronously): leave now rather
// than wait for Node to tear down the heap and the environment, milliseconds of every run.
// process.exit still emits "exit".
main(process.argv).then(
  (code) => {
    flushStdout();
    timingMark("done");
    timingTotals();
    process.exit(code);
  },
  () => {
    flushStdout();
    process.exit(1);
  },
);
