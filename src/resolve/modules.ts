import { ConfigCommand, ConfigSoftdep, ModprobeConfig } from "../config/types";
import { FirstMatch } from "../util/fnmatch";
import { normalizeModuleName } from "../util/modname";
import { ModuleDatabase } from "./module-db";

/**
 * A module as a lookup returns it: a name, and the alias it was reached by (a config alias
 * pattern, or the query that matched an index alias). Handles are pooled by "name\alias" as
 * kmod pools its kmod_module objects, so that the same module reached twice the same way is one
 * object; everything else about it is derived from the database and the configuration.
 */
export class ModuleHandle {
  /** Set by the builtin lookups (kmod_module_set_builtin). */
  builtin: boolean | undefined;
  /** An install/remove command given by the commands lookup (exact name match). */
  installCommand: string | undefined;
  removeCommand: string | undefined;

  constructor(
    readonly name: string,
    readonly alias: string | undefined,
  ) {}
}

export class ModuleContext {
  /** name -> alias ("" for none) -> handle. */
  private readonly pool = new Map<string, Map<string, ModuleHandle>>();
  private installLines: FirstMatch<ConfigCommand> | undefined;
  private removeLines: FirstMatch<ConfigCommand> | undefined;
  private softdepLines: FirstMatch<ConfigSoftdep> | undefined;
  private readonly dependencyLists = new Map<ModuleHandle, readonly ModuleHandle[]>();
  /** Numbers by module name: a batch asks for the same modules' numbers at each of its steps. */
  private readonly numbers = new Map<string, number>();

  constructor(
    readonly db: ModuleDatabase,
    readonly config: ModprobeConfig,
  ) {}

  handle(name: string, alias?: string): ModuleHandle {
    let byAlias = this.pool.get(name);
    if (!byAlias) this.pool.set(name, (byAlias = new Map()));
    const key = alias ?? "";
    let handle = byAlias.get(key);
    if (!handle) {
      handle = new ModuleHandle(name, alias);
      byAlias.set(key, handle);
    }
    return handle;
  }

  /** kmod_module_new_from_name: the name normalised. */
  byName(name: string): ModuleHandle {
    return this.handle(normalizeModuleName(name));
  }

  /** The module's number in the database, or -1 when it has no modules.dep entry. */
  moduleNumber(handle: ModuleHandle): number {
    let number = this.numbers.get(handle.name);
    if (number === undefined) {
      number = this.db.findModule(handle.name);
      this.numbers.set(handle.name, number);
    }
    return number;
  }

  path(handle: ModuleHandle): string | undefined {
    const n = this.moduleNumber(handle);
    return n < 0 ? undefined : this.db.modulePath(n);
  }

  isBuiltin(handle: ModuleHandle): boolean {
    if (handle.builtin === undefined) handle.builtin = this.db.isBuiltin(handle.name);
    return handle.builtin;
  }

  /**
   * Dependencies in load order (modules.dep reversed: the base-most first). Kept per handle: a
   * plan asks for the same module's list once per step that reaches it, and a hostile index
   * (one alias naming a module thousands of times, each with a list thousands long) multiplies
   * those steps.
   */
  dependencies(handle: ModuleHandle): readonly ModuleHandle[] {
    let deps = this.dependencyLists.get(handle);
    if (deps === undefined) {
      const n = this.moduleNumber(handle);
      deps = n < 0 ? [] : this.db.moduleDeps(n).reverse().map((d) => this.byName(this.db.moduleName(d)));
      this.dependencyLists.set(handle, deps);
    }
    return deps;
  }

  /** The first install command whose pattern matches the name. */
  installCommand(handle: ModuleHandle): string | undefined {
    if (handle.installCommand !== undefined) return handle.installCommand;
    return (this.installLines ??= new FirstMatch(this.config.installs, (c) => c.module)).find(handle.name)?.command;
  }

  removeCommand(handle: ModuleHandle): string | undefined {
    if (handle.removeCommand !== undefined) return handle.removeCommand;
    return (this.removeLines ??= new FirstMatch(this.config.removes, (c) => c.module)).find(handle.name)?.command;
  }

  /** The first softdep line whose pattern matches the name. */
  softdepLine(name: string): ConfigSoftdep | undefined {
    return (this.softdepLines ??= new FirstMatch(this.config.softdeps, (s) => s.module)).find(name);
  }

  /** Options from the configuration for the module's name or alias, joined by spaces. */
  options(handle: ModuleHandle): string | undefined {
    const parts: string[] = [];
    for (const o of this.config.options) {
      if (o.module !== handle.name && (handle.alias === undefined || o.module !== handle.alias)) continue;
      if (o.options.length > 0) parts.push(o.options);
    }
    return parts.length > 0 ? parts.join(" ") : undefined;
  }

  isBlacklisted(handle: ModuleHandle): boolean {
    return this.config.blacklists.includes(handle.name);
  }
}
