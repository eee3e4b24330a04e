import fs = require("node:fs");
import path = require("node:path");
import { Bundle } from "../bundle/reader";
import { BundleIndex, MemberInfo } from "../bundle/index-codec";
import { detectCompression } from "../compress/kind";
import { ModbundleError, describeSystemError } from "../errors";
import { CompiledPattern, compilePattern, matchCompiled } from "../util/fnmatch";
import { AliasMatch, kmodAliasOrder } from "./alias-order";
import { AliasPrefilter } from "./alias-prefilter";
import { readRegularFile } from "../io/regular-file";

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

/** Groups of aliases larger than this are matched through an AliasPrefilter. */
const PREFILTER_THRESHOLD = 48;

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

  private readonly compiled: [Array<CompiledPattern | undefined>, Array<CompiledPattern | undefined>] = [[], []];
  private readonly prefilters: [Map<number, AliasPrefilter>, Map<number, AliasPrefilter>] = [new Map(), new Map()];

  private pattern(builtin: boolean, alias: number): CompiledPattern {
    const cache = this.compiled[builtin ? 1 : 0];
    let pattern = cache[alias];
    if (pattern === undefined) cache[alias] = pattern = compilePattern(this.index.aliasKey(builtin, alias));
    return pattern;
  }

  /** The state of the match in progress (kept on the object: no closures per query). */
  private matching: { builtin: boolean; query: string; matches: AliasMatch[] } = { builtin: false, query: "", matches: [] };
  private readonly checkAlias = (alias: number): void => {
    const { builtin, query, matches } = this.matching;
    const pattern = this.pattern(builtin, alias);
    if (!matchCompiled(pattern, query)) return;
    const { target, priority } = this.index.aliasTarget(builtin, alias);
    matches.push({ key: pattern.pattern, target, priority, alias });
  };
  private readonly visitGroup = (group: number, count: number): void => {
    const { builtin, query } = this.matching;
    if (count <= PREFILTER_THRESHOLD) {
      for (let k = 0; k < count; k++) this.checkAlias(this.index.groupAlias(builtin, group, k));
      return;
    }
    const filters = this.prefilters[builtin ? 1 : 0];
    let filter = filters.get(group);
    if (!filter) {
      const members = Array.from({ length: count }, (_, k) => {
        const alias = this.index.groupAlias(builtin, group, k);
        return { alias, pattern: this.pattern(builtin, alias) };
      });
      filters.set(group, (filter = new AliasPrefilter(members)));
    }
    filter.candidates(query, this.checkAlias);
  };

  private match(builtin: boolean, query: string): string[] {
    const matches: AliasMatch[] = [];
    this.matching = { builtin, query, matches };
    this.index.forEachAliasGroup(builtin, query, this.visitGroup);
    if (matches.length === 0) return [];
    if (matches.length === 1) return [matches[0].target];
    return kmodAliasOrder(matches).map((m) => m.target);
  }

  /** The owner of "symbol:NAME" (modules.symbols lookup), or undefined. */
  matchSymbol(query: string): string | undefined {
    if (!query.startsWith("symbol:")) return undefined;
    const owner = this.index.findSymbol(query.slice("symbol:".length));
    return owner < 0 ? undefined : this.index.moduleName(owner);
  }

  /** A hint that these modules will be read: a remote bundle fetches them together. */
  prefetchModules(modules: readonly number[]): void {
    this.bundle?.prefetchMembers(modules.map((module) => this.index.moduleMember(module)));
  }

  /** A module's stored bytes: from the bundle (checksum verified) or from its file. */
  readModule(module: number): ModuleFile {
    const member = this.index.moduleMember(module);
    if (this.bundle) return { data: this.bundle.readMember(member), compression: member.compression };
    const file = this.modulePath(module);
    try {
      const data = readRegularFile(file);
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

