import fs = require("node:fs");
import path = require("node:path");
import { Bundle } from "../bundle/reader";
import { BundleIndex } from "../bundle/index-codec";
import { loadOwnModule } from "../code-cache";
import { ModbundleError } from "../errors";
import { ByteSource } from "../io/byte-source";
import { openByteSource } from "../io/open-source";
import { BundleIndexLookup } from "./index-lookup";
import { ModuleDatabase } from "./module-db";
import { byteStringOf, bytesOf } from "../util/bytes";

/**
 * Finding the modules, in this order: --bundle FILE, $MODBUNDLE (either may be an http(s) URL), ROOT/boot/modules-VER, then the
 * directory ROOT/lib/modules/VER with kmod's own index files (.bin, else text). ROOT comes from -d/--dirname, VER
 * from -S/--set-version (default `uname -r`; for an explicit bundle, the bundle's own version).
 */
export interface LocateOptions {
  readonly bundle?: string;
  readonly root?: string;
  readonly version?: string;
  readonly env: NodeJS.ProcessEnv;
  /** `uname -r`, asked only when needed. */
  readonly release: () => string;
}

/**
 * kmod's dirname: "ROOT/lib/modules/VER" when -d or -S is given (ROOT may be ""), else
 * "/lib/modules/$(uname -r)"; made absolute as kmod_new does, by putting the current directory in
 * front of a relative one as it is ("-d ." gives "/cwd/./lib/modules/VER", which kmod prints).
 */
export function moduleDirname(root: string | undefined, version: string | undefined, release: () => string): string {
  if (root === undefined && version === undefined) return `/lib/modules/${release()}`;
  return absoluteAsKmod(`${root ?? ""}/lib/modules/${version ?? release()}`);
}

function absoluteAsKmod(dirname: string): string {
  return dirname.startsWith("/") ? dirname : `${currentDirName()}/${dirname}`;
}

/** glibc's get_current_dir_name(), as kmod calls it: $PWD when it names this directory (a path through a link stays so). */
function currentDirName(): string {
  const pwd = process.env.PWD;
  if (pwd?.startsWith("/")) {
    try {
      const [here, named] = [fs.statSync("."), fs.statSync(pwd)];
      if (here.dev === named.dev && here.ino === named.ino) return byteStringOf(pwd);
    } catch {
      // $PWD is stale: fall back to getcwd
    }
  }
  return byteStringOf(process.cwd());
}

/** Where a bundle is looked for when none is named: ROOT/boot/modules-VER. */
export function defaultBundlePath(root: string | undefined, version: string): string {
  return `${root ?? ""}/boot/modules-${version}`;
}

/** Where the bundle came from, for messages that tell the user what to fix. */
type BundleOrigin = "--bundle" | "$MODBUNDLE" | "default";

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(bytesOf(file)).isDirectory();
  } catch {
    return false;
  }
}

/** A database opened from a bundle, with the bundle's own index (what describes it as a bundle). */
export interface BundleDatabase {
  readonly db: ModuleDatabase;
  readonly index: BundleIndex;
}

function openBundleFile(file: string, origin: BundleOrigin, root: string | undefined, version: string | undefined, env: NodeJS.ProcessEnv): BundleDatabase {
  const named = origin === "$MODBUNDLE" ? `$MODBUNDLE (${file})` : file;
  if (origin !== "default" && isDirectory(file)) {
    throw new ModbundleError("EBUNDLE", `${named} is a directory, not a bundle; for a module directory ROOT/lib/modules/VERSION give ROOT with modprobe -d or modinfo -b`);
  }
  let source: ByteSource;
  try {
    source = openByteSource(bytesOf(file), env);
  } catch (error) {
    if (origin === "$MODBUNDLE" && error instanceof ModbundleError) throw new ModbundleError(error.code, `$MODBUNDLE: ${error.message}`);
    throw error;
  }
  try {
    const bundle = Bundle.open(source);
    bundle.index.prefetchLookupSections();
    const bundleVersion = bundle.index.kernelVersion;
    // kmod would look in ROOT/lib/modules/VER and find nothing of another kernel: never use it as VER.
    if (version !== undefined && version !== bundleVersion) {
      throw new ModbundleError("EBUNDLE", `${named} holds the modules of kernel ${bundleVersion}, not of ${version}`);
    }
    const dirname = absoluteAsKmod(`${root ?? ""}/lib/modules/${version ?? bundleVersion}`);
    return { db: new ModuleDatabase(dirname, new BundleIndexLookup(bundle.index), bundle, `bundle ${file}`), index: bundle.index };
  } catch (error) {
    source.close();
    if (origin === "$MODBUNDLE" && error instanceof ModbundleError && !error.message.startsWith("$MODBUNDLE")) {
      throw new ModbundleError(error.code, `$MODBUNDLE: ${error.message}`);
    }
    throw error;
  }
}

/** The bundle FILE (as --bundle FILE names it), never a module directory. */
export function openBundleDatabase(file: string, root: string | undefined, env: NodeJS.ProcessEnv): BundleDatabase {
  return openBundleFile(file, "--bundle", root, undefined, env);
}

export function openModuleDatabase(options: LocateOptions): ModuleDatabase {
  if (options.bundle !== undefined) return openBundleFile(options.bundle, "--bundle", options.root, options.version, options.env).db;
  if (options.env.MODBUNDLE) return openBundleFile(options.env.MODBUNDLE, "$MODBUNDLE", options.root, options.version, options.env).db;
  const version = options.version ?? options.release();
  const defaultBundle = defaultBundlePath(options.root, version);
  if (fs.existsSync(bytesOf(defaultBundle))) {
    return openBundleFile(defaultBundle, "default", options.root, version, options.env).db;
  }
  const dirname = moduleDirname(options.root, options.version, () => version);
  return new ModuleDatabase(dirname, directoryLookups().openDirectoryLookup(dirname, version), undefined, `directory ${dirname}`);
}

/** Directory mode's part of the program, loaded only when no bundle is used (directory-lookup.ts). */
export function directoryLookups(): typeof import("./directory-lookup") {
  return loadOwnModule<typeof import("./directory-lookup")>(path.join(__dirname, "..", "resolve", "directory-lookup.js"));
}
