import fs = require("node:fs");
import { ModbundleError } from "../errors";
import { Kernel, KernelError } from "../kernel/kernel";
import { VERSION_TEXT } from "../cli-kit/version";
import { openModuleDatabase } from "../resolve/locate";
import { ModuleDatabase } from "../resolve/module-db";
import { moduleNameFromPath, normalizeModuleName } from "../util/modname";
import { getopt, LongOption } from "../cli-kit/getopt";
import { CommandIO, KmodCommand } from "../cli-kit/io";
import { KmodLogger, LOG_ERR } from "../cli-kit/kmod-log";
import { strerror } from "../util/errno";
import { bytesOf } from "../util/bytes";

/**
 * rmmod, as kmod 30's tools/rmmod.c: each argument that stat()s is a path (its file name gives
 * the module name), anything else a module name; unless forced, a module must be loaded, not
 * builtin, held by no module and unused before delete_module(O_NONBLOCK) is called. Messages,
 * their order and the exit status (1 when any argument failed) are kmod's. modbundle adds
 * --bundle, the module database that tells builtin modules apart.
 */
const SHORT_OPTIONS = "fsvVwh";
const LONG_OPTIONS: readonly LongOption[] = [
  { name: "force", hasArg: false, key: "f" },
  { name: "syslog", hasArg: false, key: "s" },
  { name: "verbose", hasArg: false, key: "v" },
  { name: "version", hasArg: false, key: "V" },
  { name: "help", hasArg: false, key: "h" },
  { name: "bundle", hasArg: true, key: "bundle" },
];

const HELP = `Usage:
\t%s [options] modulename ...
Options:
\t-f, --force       forces a module unload and may crash your
\t                  machine. This requires Forced Module Removal
\t                  option in your kernel. DANGEROUS
\t-s, --syslog      print to syslog, not stderr
\t-v, --verbose     enables more messages
\t-V, --version     show version
\t-h, --help        show this help
\t    --bundle=FILE the bundle that lists builtin modules
`;

interface Options {
  readonly force: boolean;
  readonly syslog: boolean;
  readonly verbosity: number;
  readonly bundle: string | undefined;
}

class Rmmod {
  private db: ModuleDatabase | null | undefined;
  private kernelInstance: Kernel | undefined;

  constructor(
    private readonly io: CommandIO,
    private readonly options: Options,
    private readonly logger: KmodLogger,
  ) {}

  private get kernel(): Kernel {
    return (this.kernelInstance ??= this.io.kernel());
  }

  /** modules.builtin from the database; without one, nothing is builtin (as kmod without the index). */
  private isBuiltin(name: string): boolean {
    if (this.db === undefined) {
      try {
        this.db = openModuleDatabase({ bundle: this.options.bundle, env: this.io.env, release: () => this.io.release() });
      } catch (error) {
        // Only a bundle the user named has to open.
        if (this.options.bundle !== undefined || this.io.env.MODBUNDLE) throw error;
        this.db = null;
      }
    }
    return this.db?.isBuiltin(name) ?? false;
  }

  /** check_module_inuse: false (after saying why) when the module must not be removed. */
  private removable(name: string, fromPath: boolean): boolean {
    // A module given by path is never looked up as builtin (kmod_module_new_from_path).
    if (!fromPath && this.isBuiltin(name)) {
      this.logger.error(`Module ${name} is builtin.`);
      return false;
    }
    if (this.kernel.initstate(name) === undefined) {
      this.logger.error(`Module ${name} is not currently loaded`);
      return false;
    }
    const holders = this.kernel.holders(name);
    if (holders === undefined) {
      this.logger.error(`could not open '/sys/module/${name}/holders': ${strerror("ENOENT")}`);
    } else if (holders.length > 0) {
      // kmod logs the start of the line and writes the names to stderr itself, even with -s.
      const names = holders.map((h) => ` ${normalizeModuleName(h)}`).join("");
      if (this.options.syslog) {
        this.logger.error(`Module ${name} is in use by:`);
        this.io.stderr(`${names}\n`);
      } else {
        this.io.stderr(`${this.io.prog}: ERROR: Module ${name} is in use by:${names}\n`);
      }
      return false;
    }
    const refcnt = this.kernel.refcnt(name);
    if (refcnt === undefined) {
      this.logger.error("Module unloading is not supported");
      return false;
    }
    if (refcnt > 0) {
      this.logger.error(`Module ${name} is in use`);
      return false;
    }
    return true;
  }

  /** One argument; false when it failed. */
  remove(arg: string): boolean {
    let name: string;
    let fromPath = false;
    try {
      fs.statSync(bytesOf(arg));
      name = moduleNameFromPath(arg);
      fromPath = true;
    } catch {
      name = normalizeModuleName(arg);
    }
    if (!this.options.force && !this.removable(name, fromPath)) return false;
    try {
      this.kernel.removeModule(name, { force: this.options.force });
      return true;
    } catch (error) {
      if (!(error instanceof KernelError)) throw error;
      const reason = strerror(error.code);
      this.logger.error(`could not remove '${name}': ${reason}`);
      this.logger.error(`could not remove module ${arg}: ${reason}`);
      return false;
    }
  }

  close(): void {
    this.db?.close();
  }
}

export const run: KmodCommand = async (args, io) => {
  const parsed = getopt(args, SHORT_OPTIONS, LONG_OPTIONS, io.env);
  let force = false;
  let syslog = false;
  let verbosity = LOG_ERR;
  let bundle: string | undefined;
  // Options act in command-line order, as getopt_long hands them over: -h before a bad option wins.
  for (const option of parsed.options) {
    switch (option.key) {
      case "f":
        force = true;
        break;
      case "s":
        syslog = true;
        break;
      case "v":
        verbosity++;
        break;
      case "h":
        io.stdout(HELP.replace(/%s/g, io.prog));
        return 0;
      case "V":
        io.stdout(VERSION_TEXT);
        return 0;
      case "w":
        // kmod 30 lists 'w' in its option string but has no case for it.
        io.stderr(`${io.prog}: ERROR: unexpected getopt_long() value 'w'.\n`);
        return 1;
      case "bundle":
        bundle = option.value;
        break;
    }
  }
  if (parsed.error !== undefined) {
    io.stderr(`${io.prog}: ${parsed.error}\n`);
    return 1;
  }

  const logger = new KmodLogger(io, verbosity, syslog);
  if (parsed.operands.length === 0) {
    logger.error("missing module name.");
    return 1;
  }
  const rmmod = new Rmmod(io, { force, syslog, verbosity, bundle }, logger);
  let failed = 0;
  try {
    for (const arg of parsed.operands) if (!rmmod.remove(arg)) failed++;
  } catch (error) {
    if (!(error instanceof ModbundleError)) throw error;
    logger.error(error.message);
    return 1;
  } finally {
    rmmod.close();
  }
  return failed === 0 ? 0 : 1;
};
