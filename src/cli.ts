import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ModbundleError } from "./errors";
import { logLine } from "./commands/output";
import type { CommandIO, KmodCommand } from "./commands/io";
import type { Kernel } from "./kernel/kernel";

/**
 * The program's only entry point, and the only place that turns errors into messages and exit
 * statuses. Invoked as modprobe, insmod, rmmod, lsmod or modinfo (a symbolic link), or as
 * `modbundle <command>`, it loads that command's implementation only when it runs, so that
 * start-up pays for nothing the command does not use.
 */
const VERSION = "0.1.0";

const KMOD_COMMANDS: Record<string, () => Promise<KmodCommand>> = {
  modprobe: async () => (await import("./commands/modprobe.js")).run,
  insmod: async () => (await import("./commands/insmod.js")).run,
  rmmod: async () => (await import("./commands/rmmod.js")).run,
  lsmod: async () => (await import("./commands/lsmod.js")).run,
  modinfo: async () => (await import("./commands/modinfo.js")).run,
};

function realKernel(env: NodeJS.ProcessEnv): Kernel {
  // A test hook: a fake kernel whose state lives in a JSON file, so that the CLI itself can be
  // tested without touching the kernel of the machine running the tests.
  const fakeState = env.MODBUNDLE_FAKE_KERNEL;
  if (fakeState) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { FakeKernel } = require("./kernel/fake-kernel") as typeof import("./kernel/fake-kernel");
    return FakeKernel.persistent(fakeState);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { RealKernel } = require("./kernel/real-kernel") as typeof import("./kernel/real-kernel");
  return new RealKernel();
}

function processIO(prog: string): CommandIO {
  let kernel: Kernel | undefined;
  return {
    prog,
    env: process.env,
    stdout: (text) => process.stdout.write(Buffer.from(text, "latin1")),
    stderr: (text) => process.stderr.write(Buffer.from(text, "latin1")),
    kernel: () => (kernel ??= realKernel(process.env)),
    system: (command, env) => {
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

async function modbundle(argv: readonly string[]): Promise<number> {
  const kmod = KMOD_COMMANDS[argv[0]];
  if (kmod) return (await kmod())(argv.slice(1), processIO(argv[0]));

  const { Command, CommanderError } = await import("commander");
  let status = 0;
  const program = new Command("modbundle")
    .description("all kernel modules of one kernel in a single file")
    .version(VERSION, "-V, --version")
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  program
    .command("pack")
    .description("pack a module directory into a bundle")
    .argument("[moduledir]", "module directory (default /lib/modules/$(uname -r))")
    .option("-o, --output <file>", "bundle to write (default /boot/modules-VERSION)")
    .option("--compress <mode>", "keep|none|xz|zstd|gzip", "keep")
    .action(async (moduleDir: string | undefined, opts: { output?: string; compress: string }) => {
      status = await (await import("./commands/pack.js")).run({ moduleDir, output: opts.output, compress: opts.compress });
    });

  program
    .command("unpack")
    .description("restore the module tree and kmod's text index files")
    .argument("<bundle>")
    .argument("<directory>")
    .action(async (bundle: string, directory: string) => {
      status = (await import("./commands/unpack.js")).run({ bundle, directory });
    });

  program
    .command("list")
    .description("list the files a bundle holds")
    .argument("<bundle>")
    .option("-l, --long", "show size and compression")
    .action(async (bundle: string, opts: { long?: boolean }) => {
      status = (await import("./commands/list.js")).run({ bundle, long: opts.long === true });
    });

  program
    .command("info")
    .description("describe a bundle")
    .argument("<bundle>")
    .action(async (bundle: string) => {
      status = (await import("./commands/info.js")).run({ bundle });
    });

  program
    .command("verify")
    .description("check every member of a bundle against its checksum")
    .argument("<bundle>")
    .option("-q, --quiet", "print only problems")
    .action(async (bundle: string, opts: { quiet?: boolean }) => {
      status = (await import("./commands/verify.js")).run({ bundle, quiet: opts.quiet === true });
    });

  for (const name of Object.keys(KMOD_COMMANDS)) {
    program.command(`${name} [args...]`).description(`kmod-compatible ${name}, reading modules from a bundle`).allowUnknownOption();
  }

  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 1;
    throw error;
  }
  return status;
}

export async function main(argv: readonly string[]): Promise<number> {
  const invokedAs = path.basename(argv[1] ?? "modbundle");
  const prog = KMOD_COMMANDS[invokedAs] ? invokedAs : "modbundle";
  try {
    if (prog !== "modbundle") return await (await KMOD_COMMANDS[prog]())(argv.slice(2), processIO(prog));
    return await modbundle(argv.slice(2));
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
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
