import { Command, CommanderError } from "commander";
import { writeOut } from "../cli-kit/output";
import { writeStderr } from "../cli-kit/stdio";

/**
 * `modbundle pack|unpack|list|info|verify`: the bundle tools, registered with commander. Each
 * command's implementation is loaded only when it runs.
 */
const VERSION = "0.1.0";

export async function runTools(argv: readonly string[]): Promise<number> {
  let status = 0;
  const program = new Command("modbundle")
    .description("all kernel modules of one kernel in a single file")
    .version(VERSION, "-V, --version")
    .exitOverride()
    .configureOutput({ writeOut: (text) => writeOut(text), writeErr: (text) => writeStderr(text, "utf8") });

  program
    .command("pack")
    .description("pack a module directory into a bundle")
    .argument("[moduledir]", "module directory (default /lib/modules/$(uname -r))")
    .option("-o, --output <file>", "bundle to write (default /boot/modules-VERSION)")
    .option("--compress <mode>", "keep|none|xz|zstd|gzip", "keep")
    .option("--only <names...>", "only these modules (or aliases) and what they need")
    .action(async (moduleDir: string | undefined, opts: { output?: string; compress: string; only?: string[] }) => {
      status = await (await import("./pack.js")).run({ moduleDir, output: opts.output, compress: opts.compress, only: opts.only });
    });

  program
    .command("unpack")
    .description("restore the module tree and kmod's text index files")
    .argument("<bundle>")
    .argument("<directory>")
    .action(async (bundle: string, directory: string) => {
      status = (await import("./unpack.js")).run({ bundle, directory });
    });

  program
    .command("list")
    .description("list the files a bundle holds")
    .argument("<bundle>")
    .option("-l, --long", "show size and compression")
    .action(async (bundle: string, opts: { long?: boolean }) => {
      status = (await import("./list.js")).run({ bundle, long: opts.long === true });
    });

  program
    .command("info")
    .description("describe a bundle")
    .argument("<bundle>")
    .action(async (bundle: string) => {
      status = (await import("./info.js")).run({ bundle });
    });

  program
    .command("verify")
    .description("check every member of a bundle against its checksum")
    .argument("<bundle>")
    .option("-q, --quiet", "print only problems")
    .action(async (bundle: string, opts: { quiet?: boolean }) => {
      status = (await import("./verify.js")).run({ bundle, quiet: opts.quiet === true });
    });

  program
    .command("link")
    .description("create modprobe, insmod, rmmod, lsmod and modinfo links to modbundle")
    .argument("[directory]", "where to create them", "/usr/local/sbin")
    .option("-f, --force", "replace files that are not links to modbundle")
    .action(async (directory: string, opts: { force?: boolean }) => {
      status = (await import("./link.js")).run({ directory, force: opts.force === true, program: process.argv[1] });
    });

  for (const name of ["modprobe", "insmod", "rmmod", "lsmod", "modinfo"]) {
    program.command(`${name} [args...]`).description(`kmod-compatible ${name}, reading modules from a bundle`);
  }

  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 1;
    throw error;
  }
  return status;
}
