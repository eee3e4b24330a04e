import { KernelError, LoadedModule } from "../kernel/kernel";
import { KmodCommand } from "../cli-kit/io";
import { VERSION_TEXT } from "../cli-kit/version";
import { strerror } from "../util/errno";

/**
 * lsmod, as kmod 30's tools/lsmod.c: no options at all, the modules of /proc/modules in its
 * order as "%-19s %8ld  %d" plus " holder,holder". A reference count that cannot be read is
 * printed as kmod prints it, -ENOENT (-2). The kernel's reader leaves out modules that vanish
 * while the list is read, where kmod 30 would print -2 for them (kmod #41). One departure:
 * -h/--help and -V/--version answer and exit 0 (as kmod 31's lsmod does) where kmod 30 treats
 * every argument as a mistake.
 */
const HEADER = "Module                  Size  Used by\n";

export const run: KmodCommand = async (args, io) => {
  if (args.length === 1 && (args[0] === "-h" || args[0] === "--help")) {
    io.stdout(`Usage: ${io.prog}\n`);
    return 0;
  }
  if (args.length === 1 && (args[0] === "-V" || args[0] === "--version")) {
    io.stdout(VERSION_TEXT);
    return 0;
  }
  if (args.length !== 0) {
    io.stderr(`Usage: ${io.prog}\n`);
    return 1;
  }
  let modules: LoadedModule[];
  try {
    modules = io.kernel().loadedModules();
  } catch (error) {
    if (!(error instanceof KernelError)) throw error;
    const reason = strerror(error.code);
    io.stderr(`${io.prog}: ERROR: could not open /proc/modules: ${reason}\n`);
    io.stderr(`Error: could not get list of modules: ${reason}\n`);
    return 1;
  }
  const lines = [HEADER];
  for (const module of modules) {
    const holders = module.holders.length > 0 ? ` ${module.holders.join(",")}` : "";
    lines.push(`${module.name.padEnd(19)} ${String(module.size).padStart(8)}  ${module.refcnt ?? -2}${holders}\n`);
  }
  io.stdout(lines.join(""));
  return 0;
};
