import { ModbundleError } from "./errors";
import { logLine } from "./commands/output";

/**
 * The program's only entry point, and the only place that turns errors into messages and exit
 * statuses. It registers the commands and loads each one's implementation only when it runs, so
 * that start-up pays for nothing the command does not use.
 */
const VERSION = "0.1.0";

async function modbundle(argv: readonly string[]): Promise<number> {
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

  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 1;
    throw error;
  }
  return status;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    return await modbundle(argv.slice(2));
  } catch (error) {
    if (error instanceof ModbundleError) {
      logLine("modbundle", "ERROR", error.message);
      return 1;
    }
    const reason = error instanceof Error ? error.message : String(error);
    logLine("modbundle", "ERROR", `internal error: ${reason}`);
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
