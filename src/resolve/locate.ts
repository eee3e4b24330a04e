import fs = require("node:fs");
import { Bundle } from "../bundle/reader";
import { openByteSource } from "../io/open-source";
import { loadDirectoryIndex } from "./directory-index";
import { ModuleDatabase } from "./module-db";

/**
 * Finding the modules, in this order: --bundle FILE, $MODBUNDLE (either may be an http(s) URL), ROOT/boot/modules-VER, then the
 * directory ROOT/lib/modules/VER with kmod's own index files. ROOT comes from -d/--dirname, VER
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

/** kmod's dirname: "ROOT/lib/modules/VER" when -d or -S is given (ROOT may be ""), else "/lib/modules/$(uname -r)". */
export function moduleDirname(root: string | undefined, version: string | undefined, release: () => string): string {
  if (root === undefined && version === undefined) return `/lib/modules/${release()}`;
  return `${root ?? ""}/lib/modules/${version ?? release()}`;
}

function openBundleFile(file: string, root: string | undefined, version: string | undefined, env: NodeJS.ProcessEnv): ModuleDatabase {
  const source = openByteSource(file, env);
  try {
    const bundle = Bundle.open(source);
    bundle.index.prefetchLookupSections();
    const dirname = `${root ?? ""}/lib/modules/${version ?? bundle.index.kernelVersion}`;
    return new ModuleDatabase(dirname, bundle.index, bundle, `bundle ${file}`);
  } catch (error) {
    source.close();
    throw error;
  }
}

export function openModuleDatabase(options: LocateOptions): ModuleDatabase {
  const explicit = options.bundle ?? (options.env.MODBUNDLE || undefined);
  if (explicit !== undefined) return openBundleFile(explicit, options.root, options.version, options.env);
  const version = options.version ?? options.release();
  const defaultBundle = `${options.root ?? ""}/boot/modules-${version}`;
  if (fs.existsSync(defaultBundle)) {
    return openBundleFile(defaultBundle, options.root, version, options.env);
  }
  const dirname = moduleDirname(options.root, options.version, () => version);
  return new ModuleDatabase(dirname, loadDirectoryIndex(dirname, version), undefined, `directory ${dirname}`);
}
