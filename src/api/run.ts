import os = require("node:os");
import fs = require("node:fs");
import { spawnSync } from "node:child_process";
import { KmodCommand } from "../cli-kit/io";
import { logText } from "../cli-kit/output";
import { ModbundleError } from "../errors";
import { createKernel } from "../kernel/factory";
import { Kernel } from "../kernel/kernel";
import { CommandResult, KmodCommandName, RunOptions } from "./types";
import { shellInvocation } from "../cli-kit/shell";
import { byteStringOf } from "../util/bytes";

/**
 * A kmod command run in this process, its output captured, as the CLI would run it: the same
 * front-ends, the same messages and exit statuses. The kernel interface (and with it ffi-napi)
 * is loaded only when the command really inserts or removes a module.
 */
const COMMANDS: Record<KmodCommandName, () => Promise<KmodCommand>> = {
  modprobe: async () => (await import("../commands/modprobe.js")).run,
  insmod: async () => (await import("../commands/insmod.js")).run,
  rmmod: async () => (await import("../commands/rmmod.js")).run,
  lsmod: async () => (await import("../commands/lsmod.js")).run,
  modinfo: async () => (await import("../commands/modinfo.js")).run,
};

export interface RunWithKernel extends RunOptions {
  /** The kernel the command acts on (default: this machine's, through its system calls). */
  readonly kernel?: Kernel;
}

function readCmdline(): string | undefined {
  try {
    return fs.readFileSync("/proc/cmdline", "latin1");
  } catch {
    return undefined;
  }
}

/** An environment's values as byte strings (util/bytes). */
function environmentOf(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[byteStringOf(name)] = byteStringOf(value);
  return out;
}

/**
 * Runs `modprobe`, `insmod`, `rmmod`, `lsmod` or `modinfo` with `args`; resolves with status and
 * output. Arguments, the environment and the kernel command line are JS text, each UTF-8 encoded
 * into the bytes the command sees (as a shell would pass them); the output comes back as bytes.
 */
export async function runCommand(name: KmodCommandName, args: readonly string[], options: RunWithKernel = {}): Promise<CommandResult> {
  const load = COMMANDS[name];
  if (!load) throw new ModbundleError("EUSAGE", `not a kmod command: ${String(name)} (expected one of ${Object.keys(COMMANDS).join(", ")})`);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const env = environmentOf(options.env ?? process.env);
  let kernel = options.kernel;
  const command = await load();
  try {
    const status = await command(args.map(byteStringOf), {
      prog: name,
      env,
      stdout: (text) => stdout.push(text),
      stderr: (text) => stderr.push(text),
      kernel: () => (kernel ??= createKernel(options.env ?? process.env)),
      system: (line, childEnv) => {
        const shell = shellInvocation(line, childEnv);
        const result = spawnSync("/bin/sh", shell.args, { env: shell.env, encoding: "latin1", stdio: ["ignore", "pipe", "pipe"] });
        stdout.push(result.stdout ?? "");
        stderr.push(result.stderr ?? "");
        return result.status ?? (result.signal ? 128 : 127);
      },
      kernelCmdline: () => (options.kernelCmdline !== undefined ? byteStringOf(options.kernelCmdline) : readCmdline()),
      release: () => options.release ?? os.release(),
    });
    return { status, stdout: stdout.join(""), stderr: stderr.join("") };
  } catch (error) {
    if (!(error instanceof ModbundleError)) throw error;
    stderr.push(logText(name, "FATAL", error.message));
    return { status: 1, stdout: stdout.join(""), stderr: stderr.join("") };
  }
}
