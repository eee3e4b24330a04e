import * as fs from "node:fs";
import * as path from "node:path";
import { Bundle } from "../bundle/reader";
import { BundleIndex, MemberInfo, literalPrefixLength } from "../bundle/index-codec";
import { detectCompression } from "../compress/kind";
import { ModbundleError, describeSystemError } from "../errors";
import { fnmatch } from "../util/fnmatch";
import { AliasMatch, kmodAliasOrder } from "./alias-order";

/**
 * Where the commands find modules: a bundle, or a plain module directory whose kmod text index
 * files have been read into the same index structure. Either way lookups go through one
 * BundleIndex; only reading a module's bytes differs (from the bundle, checksum verified, or
 * from the file).
 */
export interface ModuleFile {
  /** The bytes as stored (possibly compressed). */
  readonly data: Buffer;
  readonly compression: MemberInfo["compression"];
}

export class ModuleDatabase {
  constructor(
    /** The module directory as kmod names it: ROOT/lib/modules/VER (printed in paths). */
    readonly dirname: string,
    readonly index: BundleIndex,
    private readonly bundle: Bundle | undefined,
    /** For messages: "bundle /boot/modules-6.1" or "directory /lib/modules/6.1". */
    readonly description: string,
  ) {}

  get isBundle(): boolean {
    return this.bundle !== undefined;
  }

  /** The module number of a normalised name, or -1 (modules.dep lookup). */
  findModule(name: string): number {
    return this.index.findModule(name);
  }

  moduleName(module: number): string {
    return this.index.moduleName(module);
  }

  /** The absolute path kmod prints: dirname + "/" + the path in modules.dep. */
  modulePath(module: number): string {
    return `${this.dirname}/${this.index.modulePath(module)}`;
  }

  /** Dependencies as modules.dep lists them (users before providers). */
  moduleDeps(module: number): number[] {
    return this.index.moduleDeps(module);
  }

  isBuiltin(name: string): boolean {
    return this.index.isBuiltin(name);
  }

  /** Module names whose alias patterns match `query`, in kmod's order (duplicates kept). */
  matchAliases(query: string): string[] {
    return this.match(false, query);
  }

  /** Builtin modules whose aliases (modules.builtin.modinfo) match `query`. */
  matchBuiltinAliases(query: string): string[] {
    return this.match(true, query);
  }

  private match(builtin: boolean, query: string): string[] {
    const matches: AliasMatch[] = [];
    this.index.forEachAliasCandidate(builtin, query, (alias, key) => {
      const prefix = literalPrefixLength(key);
      if (key.length === prefix ? key !== query : !fnmatch(key.slice(prefix), query.slice(prefix))) return;
      const record = this.index.alias(builtin, alias);
      matches.push({ key, target: record.target, priority: builtin ? 0 : record.module });
    });
    if (matches.length < 2) return matches.map((m) => m.target);
    return kmodAliasOrder(matches).map((m) => m.target);
  }

  /** The owner of "symbol:NAME" (modules.symbols lookup), or undefined. */
  matchSymbol(query: string): string | undefined {
    if (!query.startsWith("symbol:")) return undefined;
    const owner = this.index.findSymbol(query.slice("symbol:".length));
    return owner < 0 ? undefined : this.index.moduleName(owner);
  }

  /** A module's stored bytes: from the bundle (checksum verified) or from its file. */
  readModule(module: number): ModuleFile {
    const member = this.index.moduleMember(module);
    if (this.bundle) return { data: this.bundle.readMember(member), compression: member.compression };
    const file = this.modulePath(module);
    try {
      const data = fs.readFileSync(file);
      return { data, compression: detectCompression(data.subarray(0, 6)) };
    } catch (error) {
      throw new ModbundleError("EIO", `${file}: ${describeSystemError(error)}`);
    }
  }

  /** A support file (modules.builtin.modinfo, ...) or undefined when absent. */
  readSupportFile(name: string): Buffer | undefined {
    if (this.bundle) {
      const member = this.index.findMember(name);
      return member ? this.bundle.readMember(member) : undefined;
    }
    try {
      return fs.readFileSync(path.join(this.dirname, name));
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
      this.index.forEachModuleDep(kind, (module, value) => lines.push(`${kind} ${module} ${value}\n`));
      return lines.join("");
    }
    try {
      return fs.readFileSync(path.join(this.dirname, name), "latin1");
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.bundle?.close();
  }
}

