import fs = require("node:fs");
import os = require("node:os");
import path = require("node:path");
import { ModbundleError } from "./errors";
import { logLine } from "./commands/output";
import type { CommandIO, KmodCommand } from "./commands/io";
import type { Kernel } from "./kernel/kernel";

/**
 * The program's only entry point, and the only place that turns errors into messages and exit
 * statuses. Invoked as modprobe, insmod, rmmod, lsmod or modinfo (a symbolic link), or as
 * `modbundle <command>`. Each command is a separate file loaded only when it runs (the build
 * keeps them apart), so that start-up pays for nothing the command does not use.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- loading a command on demand is the point */
const KMOD_COMMANDS: Record<string, () => KmodCommand> = {
  modprobe: () => (require("./commands/modprobe.js") as typeof import("./commands/modprobe.js")).run,
  insmod: () => (require("./commands/insmod.js") as typeof import("./commands/insmod.js")).run,
  rmmod: () => (require("./commands/rmmod.js") as typeof import("./commands/rmmod.js")).run,
  lsmod: () => (require("./commands/lsmod.js") as typeof import("./commands/lsmod.js")).run,
  modinfo: () => (require("./commands/modinfo.js") as typeof import("./commands/modinfo.js")).run,
};

function createKernel(env: NodeJS.ProcessEnv): Kernel {
  return (require("./kernel/factory.js") as typeof import("./kernel/factory.js")).createKernel(env);
}

function runTools(argv: readonly string[]): Promise<number> {
  return (require("./commands/tools.js") as typeof import("./commands/tools.js")).runTools(argv);
}
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Standard output as stdio buffers it: straight through to a terminal, otherwise collected and
 * written in large pieces (a `modprobe -a -R` of thousands of aliases is one write, not
 * thousands). Flushed before a shell command runs and when the command ends.
 */
class BufferedStdout {
  private chunks: string[] = [];
  private size = 0;
  private readonly direct = process.stdout.isTTY === true;

  write(text: string): void {
    if (this.direct) {
      process.stdout.write(Buffer.from(text, "latin1"));
      return;
    }
    this.chunks.push(text);
    this.size += text.length;
    if (this.size >= 1 << 16) this.flush();
  }

  flush(): void {
    if (this.size === 0) return;
    process.stdout.write(Buffer.from(this.chunks.join(""), "latin1"));
    this.chunks = [];
    this.size = 0;
  }
}

const stdout = new BufferedStdout();

// A reader that went away (`lsmod | head -1`) ends the program quietly, as SIGPIPE ends kmod's
// tools, instead of an unhandled 'error' event with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

function processIO(prog: string): CommandIO {
  let kernel: Kernel | undefined;
  return {
    prog,
    env: process.env,
    stdout: (text) => stdout.write(text),
    stderr: (text) => process.stderr.write(Buffer.from(text, "latin1")),
    kernel: () => (kernel ??= createKernel(process.env)),
    system: (command, env) => {
      stdout.flush();
      const { spawnSync } = process.getBuiltinModule("node:child_process");
      const result = spawnSync("/bin/sh", ["-c", command], { stdio: "inherit", env });
      return result.status ?? (result.signal ? 128 : 127);
    },
    kernelCmdline: () => {
      try {
        return fs.readFileSync("/proc/cmdline", "latin1");
      } catch {
        return undefined;
      }
    },
    release: () => os.release(),
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  const invokedAs = path.basename(argv[1] ?? "modbundle");
  const kmodName = KMOD_COMMANDS[invokedAs] ? invokedAs : KMOD_COMMANDS[argv[2]] ? argv[2] : undefined;
  const prog = kmodName ?? "modbundle";
  try {
    if (kmodName !== undefined) {
      const args = kmodName === invokedAs ? argv.slice(2) : argv.slice(3);
      return await KMOD_COMMANDS[kmodName]()(args, processIO(kmodName));
    }
    return await runTools(argv.slice(2));
  } catch (error) {
    if (error instanceof ModbundleError) {
      logLine(prog, prog === "modbundle" ? "ERROR" : "FATAL", error.message);
      return 1;
    }
    const reason = error instanceof Error ? error.message : String(error);
    logLine(prog, "ERROR", `internal error: ${reason}`);
    return 1;
  }
}

main(process.argv).then(
  (code) => {
    stdout.flush();
    process.exitCode = code;
  },
  () => {
    stdout.flush();
    process.exitCode = 1;
  },
);
