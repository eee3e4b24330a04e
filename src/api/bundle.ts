import { loadModprobeConfig } from "../config/load";
import { decompress } from "../compress/decompress";
import { ModbundleError } from "../errors";
import { concatOptions, probePlan } from "../modprobe/probe-plan";
import { openBundleDatabase } from "../resolve/locate";
import { BundleIndex } from "../bundle/index-codec";
import { lookupModules } from "../resolve/lookup";
import { ModuleDatabase } from "../resolve/module-db";
import { ModuleContext, ModuleHandle } from "../resolve/modules";
import { normalizeModuleName } from "../util/modname";
import { byteStringOf } from "../util/bytes";
import { LoadStep, LookupResult, ModuleBytes, ModuleSummary, OpenOptions } from "./types";

/**
 * A bundle opened for a script: lookups with modprobe's rules and configuration, load plans as
 * `modprobe --show-depends` computes them (whatever the running kernel has loaded), and a
 * module's bytes checked against their CRC-32. Nothing here touches the kernel.
 *
 * Strings given (file names, queries, parameters, the kernel command line) are JS text, UTF-8
 * encoded into the bytes modprobe would be given; strings returned (names, paths, parameters,
 * commands) are the bytes of the bundle and the configuration as byte strings (each character
 * one byte, Node's "latin1"), as runCommand's output is.
 */
export class ModuleBundle {
  private readonly ctx: ModuleContext;

  private constructor(
    private readonly db: ModuleDatabase,
    private readonly index: BundleIndex,
    options: OpenOptions,
  ) {
    const warn = options.onWarning ?? (() => undefined);
    const config = loadModprobeConfig({
      paths: (options.config ?? []).map(byteStringOf),
      moduleDirFiles: (["modules.softdep", "modules.weakdep"] as const).map((name) => ({ name, path: `${db.dirname}/${name}`, text: db.readDepFile(name) })),
      kernelCmdline: options.kernelCmdline !== undefined ? byteStringOf(options.kernelCmdline) : undefined,
      warn,
    });
    this.ctx = new ModuleContext(db, config);
    this.warn = warn;
  }

  private readonly warn: (message: string) => void;

  /** Opens a bundle file or a block device holding one (read with two reads; modules on demand). */
  static open(file: string, options: OpenOptions = {}): ModuleBundle {
    const root = options.root !== undefined ? byteStringOf(options.root) : undefined;
    const { db, index } = openBundleDatabase(byteStringOf(file), root, {});
    try {
      return new ModuleBundle(db, index, options);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  get kernelVersion(): string {
    return this.index.kernelVersion;
  }

  get moduleCount(): number {
    return this.index.moduleCount;
  }

  /** Every module, in the bundle's order. */
  modules(): ModuleSummary[] {
    return Array.from({ length: this.moduleCount }, (_, i) => this.summary(i));
  }

  /** A module by name (`-` and `_` alike), or undefined. */
  module(name: string): ModuleSummary | undefined {
    const n = this.db.findModule(normalizeModuleName(byteStringOf(name)));
    return n < 0 ? undefined : this.summary(n);
  }

  private summary(n: number): ModuleSummary {
    return {
      name: this.db.moduleName(n),
      path: this.index.modulePath(n),
      dependencies: this.db.moduleDeps(n).reverse().map((d) => this.db.moduleName(d)),
    };
  }

  /** What modprobe would resolve `query` (a name, an alias, a modalias, `symbol:NAME`) to; [] when nothing. */
  lookup(query: string): LookupResult[] {
    return this.handles(query).map((h) => ({ name: h.name, ...(h.alias !== undefined ? { alias: h.alias } : {}), builtin: this.ctx.isBuiltin(h) }));
  }

  private handles(query: string): ModuleHandle[] {
    const found = lookupModules(this.ctx, byteStringOf(query));
    if (found === undefined) throw new ModbundleError("EUSAGE", `invalid module name or alias: ${query}`);
    return found;
  }

  /**
   * The steps `modprobe QUERY PARAMETERS` takes, as `modprobe --show-depends` lists them: for each
   * module the query resolves to (a blacklisted one reached by alias is skipped), its
   * dependencies, softdeps and itself, each with its parameters. Throws when nothing matches.
   */
  loadPlan(query: string, parameters?: string): LoadStep[] {
    const targets = this.handles(query);
    if (targets.length === 0) throw new ModbundleError("EUSAGE", `Module ${query} not found in ${this.db.description}`);
    const ignoreCommand = new Map<ModuleHandle, boolean>();
    return targets.flatMap((target) => {
      if (target.alias !== undefined && this.ctx.isBlacklisted(target)) return [];
      return probePlan(this.ctx, target, false, ignoreCommand, this.warn).map((step): LoadStep => {
        const module = step.module;
        const params = concatOptions(this.ctx.options(module), module === target && parameters !== undefined ? byteStringOf(parameters) : undefined);
        const command = this.ctx.installCommand(module);
        if (command !== undefined && !step.ignoreCommand) return { name: module.name, action: "install", command, parameters: params, required: step.required };
        const path = this.ctx.path(module);
        if (path === undefined && this.ctx.isBuiltin(module)) return { name: module.name, action: "builtin", parameters: params, required: step.required };
        return { name: module.name, action: "module", ...(path !== undefined ? { path } : {}), parameters: params, required: step.required };
      });
    });
  }

  /** A module's stored bytes, verified against the bundle's checksum (throws on a mismatch). */
  readModule(name: string): ModuleBytes {
    const n = this.db.findModule(normalizeModuleName(byteStringOf(name)));
    if (n < 0) throw new ModbundleError("EUSAGE", `Module ${name} not found in ${this.db.description}`);
    return this.db.readModule(n);
  }

  /** A module's ELF image: its verified bytes, decompressed when stored compressed. */
  async readModuleImage(name: string): Promise<Buffer> {
    const { data, compression, plainSize } = this.readModule(name);
    return decompress(compression, data, name, { expectedSize: plainSize });
  }

  close(): void {
    this.db.close();
  }
}

export function openBundle(file: string, options: OpenOptions = {}): ModuleBundle {
  return ModuleBundle.open(file, options);
}
