import fs = require("node:fs");
import { detectCompression } from "../compress/kind";
import { ModbundleError } from "../errors";
import { KernelError, LoadFlags } from "../kernel/kernel";
import { insertModule } from "../kernel/prepare-image";
import { VERSION_TEXT } from "../cli-kit/version";
import { openModuleDatabase } from "../resolve/locate";
import { ModuleDatabase, ModuleFile } from "../resolve/module-db";
import { normalizeModuleName } from "../util/modname";
import { getopt, LongOption } from "../cli-kit/getopt";
import { KmodCommand } from "../cli-kit/io";
import { strerror } from "../util/errno";
import { readRegularFile } from "../io/regular-file";
import { bytesOf } from "../util/bytes";

/**
 * insmod, as kmod 30's tools/insmod.c: one module file and its parameters, no configuration, no
 * dependencies. modbundle adds one thing: an argument that is not an existing file but a bare
 * module name is looked up in the module database (--bundle FILE, $MODBUNDLE, the default bundle,
 * or the module directory), so that a module can be inserted straight from a bundle.
 */
const SHORT_OPTIONS = "psfVh";
const LONG_OPTIONS: readonly LongOption[] = [
  { name: "version", hasArg: false, key: "V" },
  { name: "help", hasArg: false, key: "h" },
  { name: "bundle", hasArg: true, key: "bundle" },
];

const HELP = `Usage:
\t%s [options] filename [args]
Options:
\t-V, --version     show version
\t-h, --help        show this help
\t    --bundle=FILE insert a module NAME (not a file) from the bundle FILE
`;

/** insmod's own wording for the errors a module load usually meets (mod_strerror). */
function modStrerror(code: string): string {
  switch (code) {
    case "ENOEXEC":
      return "Invalid module format";
    case "ENOENT":
      return "Unknown symbol in module";
    case "ESRCH":
      return "Module has wrong symbol version";
    case "EINVAL":
      return "Invalid parameters";
    default:
      return strerror(code);
  }
}

/** A file name rather than a module name: it has a folder or a module file extension. */
function looksLikePath(arg: string): boolean {
  return arg.includes("/") || /\.ko(\.(xz|zst|gz))?$/.test(arg);
}

type Found = { readonly file: ModuleFile } | { readonly error: string };

/** kmod reads the file when inserting: errors then are insertion errors ("could not insert"). */
function readModuleFile(filename: string): Found {
  let data: Buffer;
  try {
    data = readRegularFile(bytesOf(filename));
  } catch (error) {
    return { error: `could not insert module ${filename}: ${modStrerror((error as NodeJS.ErrnoException).code ?? "EIO")}` };
  }
  // kmod_file_open reads the longest compression magic (6 bytes) and refuses a shorter file.
  if (data.length < 6) return { error: `could not insert module ${filename}: ${modStrerror("EINVAL")}` };
  return { file: { data, compression: detectCompression(data.subarray(0, 6)) } };
}

/** A bare module name from the module database; undefined when there is none of that name. */
function readFromDatabase(name: string, bundle: string | undefined, env: NodeJS.ProcessEnv, release: () => string): Found | undefined {
  if (looksLikePath(name)) return undefined;
  let db: ModuleDatabase;
  try {
    db = openModuleDatabase({ bundle, env, release });
  } catch (error) {
    // No database at all is the plain insmod case; a bundle the user named must work.
    if (bundle !== undefined || env.MODBUNDLE) return { error: error instanceof Error ? error.message : String(error) };
    return undefined;
  }
  try {
    const module = db.findModule(normalizeModuleName(name));
    if (module < 0) return undefined;
    try {
      return { file: db.readModule(module) };
    } catch (error) {
      if (error instanceof ModbundleError) return { error: `could not insert module ${name}: ${error.message}` };
      throw error;
    }
  } finally {
    db.close();
  }
}

export const run: KmodCommand = async (args, io) => {
  const parsed = getopt(args, SHORT_OPTIONS, LONG_OPTIONS, io.env);
  const error = (message: string): number => {
    io.stderr(`${io.prog}: ERROR: ${message}\n`);
    return 1;
  };
  const flags: { -readonly [K in keyof LoadFlags]: LoadFlags[K] } = { ignoreModversions: false, ignoreVermagic: false };
  let bundle: string | undefined;
  for (const option of parsed.options) {
    switch (option.key) {
      case "p":
      case "s":
        break; // accepted and ignored, for compatibility (as kmod)
      case "f":
        flags.ignoreModversions = true;
        flags.ignoreVermagic = true;
        break;
      case "h":
        io.stdout(HELP.replace(/%s/g, io.prog));
        return 0;
      case "V":
        io.stdout(VERSION_TEXT);
        return 0;
      case "bundle":
        bundle = option.value;
        break;
    }
  }
  // Options act in command-line order, as getopt_long hands them over: -h before a bad option wins.
  if (parsed.error !== undefined) {
    io.stderr(`${io.prog}: ${parsed.error}\n`);
    return 1;
  }

  const [filename, ...params] = parsed.operands;
  if (filename === undefined) return error("missing filename.");
  if (filename === "-") return error("this tool does not support loading from stdin!");

  let found: Found | undefined;
  let statError: NodeJS.ErrnoException | undefined;
  try {
    fs.statSync(bytesOf(filename));
    found = readModuleFile(filename);
  } catch (e) {
    statError = e as NodeJS.ErrnoException;
    found = readFromDatabase(filename, bundle, io.env, () => io.release());
  }
  if (found === undefined) return error(`could not load module ${filename}: ${strerror(statError?.code ?? "ENOENT")}`);
  if ("error" in found) return error(found.error);

  try {
    await insertModule(io.kernel(), found.file, params.join(" "), flags, filename);
  } catch (e) {
    if (e instanceof KernelError) return error(`could not insert module ${filename}: ${modStrerror(e.code)}`);
    if (e instanceof ModbundleError) return error(`could not insert module ${filename}: ${e.message}`);
    throw e;
  }
  return 0;
};
