import fs = require("node:fs");
import path = require("node:path");
import { Bundle } from "../bundle/reader";
import { MemberInfo } from "../bundle/index-codec";
import { detectCompression } from "../compress/kind";
import { ModbundleError, describeSystemError } from "../errors";
import { readRegularFile } from "../io/regular-file";
import { IndexLookup } from "./index-lookup";
import { bytesOf } from "../util/bytes";

/**
 * Where the commands find modules: a bundle, or a plain module directory (kmod's .bin indexes,
 * or failing those its text index files read into a bundle's index structure). Lookups go
 * through one IndexLookup; only reading a module's bytes differs (from the bundle, checksum
 * verified, or from the file).
 */
export interface ModuleFile {
  /** The bytes as stored (possibly compressed). */
  readonly data: Buffer;
  readonly compression: MemberInfo["compression"];
  /** The decompressed size the bundle's index records (absent for a file of a module directory). */
  readonly plainSize?: number;
}

export class ModuleDatabase {
  constructor(
    /** The module directory as kmod names it: ROOT/lib/modules/VER (printed in paths). */
    readonly dirname: string,
    readonly lookup: IndexLookup,
    private readonly bundle: Bundle | undefined,
    /** For messages: "bundle /boot/modules-6.1" or "directory /lib/modules/6.1". */
    readonly description: string,
  ) {}

  get isBundle(): boolean {
    return this.bundle !== undefined;
  }


  /** The module number of a normalised name, or -1 (modules.dep lookup). */
  findModule(name: string): number {
    return this.lookup.findModule(name);
  }

  moduleName(module: number): string {
    return this.lookup.moduleName(module);
  }

  /** The path relative to the module directory, as modules.dep has it. */
  relativePath(module: number): string {
    return this.lookup.modulePath(module);
  }

  /** The absolute path kmod prints: dirname + "/" + the path in modules.dep. */
  modulePath(module: number): string {
    return `${this.dirname}/${this.lookup.modulePath(module)}`;
  }

  /** Dependencies as modules.dep lists them (users before providers). */
  moduleDeps(module: number): number[] {
    return this.lookup.moduleDeps(module);
  }

  isBuiltin(name: string): boolean {
    return this.lookup.isBuiltin(name);
  }

  /** Module names whose alias patterns match `query`, in kmod's order (duplicates kept). */
  matchAliases(query: string): string[] {
    return this.lookup.matchAliases(false, query);
  }

  /** Builtin modules whose aliases (modules.builtin.modinfo) match `query`. */
  matchBuiltinAliases(query: string): string[] {
    return this.lookup.matchAliases(true, query);
  }

  /** The owners of "symbol:NAME" (modules.symbols lookup). */
  matchSymbol(query: string): string[] {
    return this.lookup.matchSymbol(query);
  }

  /**
   * A module's size as loaded, when the index records it (a bundle's); 0 otherwise, and for a
   * module not found (a negative number).
   */
  moduleSize(module: number): number {
    return module >= 0 && this.bundle ? this.bundle.index.moduleMember(module).plainSize : 0;
  }

  /** Whether prefetchModules does anything: only a remote bundle fetches ahead. */
  get prefetches(): boolean {
    return this.bundle?.prefetches ?? false;
  }

  /** A hint that these modules will be read: a remote bundle fetches them together. */
  prefetchModules(modules: readonly number[]): void {
    const bundle = this.bundle;
    bundle?.prefetchMembers(modules.map((module) => bundle.index.moduleMember(module)));
  }

  /**
   * A module's stored bytes: from the bundle (checksum verified) or from its file. `into` lends a
   * buffer for them (see BundleReader.readMember).
   */
  readModule(module: number, into?: (length: number) => Buffer): ModuleFile {
    if (this.bundle) {
      const member = this.bundle.index.moduleMember(module);
      return { data: this.bundle.readMember(member, into), compression: member.compression, plainSize: member.plainSize };
    }
    const file = this.modulePath(module);
    try {
      const data = readRegularFile(bytesOf(file));
      return { data, compression: detectCompression(data.subarray(0, 6)) };
    } catch (error) {
      throw new ModbundleError("EIO", `${file}: ${describeSystemError(error)}`);
    }
  }

  /** A support file (modules.builtin.modinfo, ...) or undefined when absent. */
  readSupportFile(name: string): Buffer | undefined {
    if (this.bundle) {
      const member = this.bundle.index.findMember(name);
      return member ? this.bundle.readMember(member) : undefined;
    }
    try {
      return fs.readFileSync(bytesOf(path.join(this.dirname, name)));
    } catch {
      return undefined;
    }
  }

  /**
   * modules.softdep / modules.weakdep as kmod reads them from the module directory (they take
   * part in the configuration). From a bundle they are rendered from the index.
   */
  readDepFile(name: "modules.softdep" | "modules.weakdep"): string | undefined {
    if (this.bundle) {
      const kind = name === "modules.softdep" ? "softdep" : "weakdep";
      const lines = [kind === "softdep" ? "# Soft dependencies extracted from modules themselves.\n" : "# Weak dependencies extracted from modules themselves.\n"];
      this.bundle.index.forEachModuleDep(kind, (module, value) => lines.push(`${kind} ${module} ${value}\n`));
      return lines.join("");
    }
    try {
      return fs.readFileSync(bytesOf(path.join(this.dirname, name)), "latin1");
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.lookup.close();
    this.bundle?.close();
  }
}

