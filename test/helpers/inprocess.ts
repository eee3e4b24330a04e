import * as os from "node:os";
import { CommandIO } from "../../src/cli-kit/io";
import { Kernel } from "../../src/kernel/kernel";

/**
 * Runs a kmod command's implementation in this process with captured output, a given kernel
 * command line and (for commands that need one) a given kernel: the fake kernel in tests. A
 * command that asks for a kernel without one being given fails the test.
 */
export interface InProcessResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Shell commands run (install/remove), with MODPROBE_MODULE. */
  readonly commands: Array<{ command: string; module: string | undefined; modprobeOptions: string | undefined }>;
}

export interface InProcessOptions {
  readonly prog?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cmdline?: string;
  readonly kernel?: Kernel;
  /** Exit status of each shell command (default 0). */
  readonly commandStatus?: (command: string) => number;
}

export async function runInProcess(
  command: (args: readonly string[], io: CommandIO) => Promise<number>,
  args: readonly string[],
  options: InProcessOptions = {},
): Promise<InProcessResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const commands: InProcessResult["commands"] = [];
  const io: CommandIO = {
    prog: options.prog ?? "modprobe",
    // One load at a time unless a test asks for more: most tests check kmod's sequential order.
    env: options.env ?? { PATH: process.env.PATH, MODBUNDLE_JOBS: "1" },
    stdout: (t) => stdout.push(t),
    stderr: (t) => stderr.push(t),
    kernel: () => {
      if (!options.kernel) throw new Error("this test gave the command no kernel");
      return options.kernel;
    },
    system: (cmd, env) => {
      commands.push({ command: cmd, module: env.MODPROBE_MODULE, modprobeOptions: env.MODPROBE_OPTIONS });
      return options.commandStatus ? options.commandStatus(cmd) : 0;
    },
    kernelCmdline: () => options.cmdline ?? "",
    release: () => os.release(),
  };
  const status = await command(args, io);
  return { status, stdout: stdout.join(""), stderr: stderr.join(""), commands };
}

/** A kernel with no modules loaded that refuses every change: for dry runs. */
export function idleKernel(): Kernel {
  return {
    initstate: () => undefined,
    refcnt: () => undefined,
    holders: () => undefined,
    loadedModules: () => [],
    inKernelDecompression: () => undefined,
    loadModule: () => Promise.reject(new Error("idle kernel: no loading in a dry run")),
    removeModule: () => {
      throw new Error("idle kernel: no removal in a dry run");
    },
  };
}
