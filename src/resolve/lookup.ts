import { fnmatch } from "../util/fnmatch";
import { normalizeAlias } from "../util/modname";
import { ModuleContext, ModuleHandle } from "./modules";

/**
 * kmod's lookup (kmod_module_new_from_lookup) as data: an ordered list of resolvers, the first
 * that yields anything wins. The query is normalised first ('-' becomes '_' outside brackets);
 * an invalid query (unmatched ']') finds nothing.
 */
type Resolver = (ctx: ModuleContext, query: string) => ModuleHandle[];

const fromConfigAliases: Resolver = (ctx, query) =>
  ctx.config.aliases.filter((a) => fnmatch(a.pattern, query)).map((a) => ctx.handle(a.module, a.pattern));

const fromModulesDep: Resolver = (ctx, query) => {
  if (query.includes(":")) return [];
  return ctx.db.findModule(query) >= 0 ? [ctx.byName(query)] : [];
};

const fromSymbols: Resolver = (ctx, query) => ctx.db.matchSymbol(query).map((owner) => ctx.handle(owner, query));

const fromCommands: Resolver = (ctx, query) => {
  const install = ctx.config.installs.find((c) => c.module === query);
  if (install) {
    const handle = ctx.byName(install.module);
    handle.installCommand = install.command;
    return [handle];
  }
  const remove = ctx.config.removes.find((c) => c.module === query);
  if (remove) {
    const handle = ctx.byName(remove.module);
    handle.removeCommand = remove.command;
    return [handle];
  }
  return [];
};

const fromAliases: Resolver = (ctx, query) => ctx.db.matchAliases(query).map((name) => ctx.handle(name, query));

const fromBuiltin: Resolver = (ctx, query) => {
  if (!ctx.db.isBuiltin(query)) return [];
  const handle = ctx.byName(query);
  handle.builtin = true;
  return [handle];
};

const fromBuiltinAliases: Resolver = (ctx, query) =>
  ctx.db.matchBuiltinAliases(query).map((name) => {
    const handle = ctx.handle(name, query);
    handle.builtin = true;
    return handle;
  });

/** modprobe's order. */
export const MODPROBE_LOOKUP: readonly Resolver[] = [
  fromConfigAliases,
  fromModulesDep,
  fromSymbols,
  fromCommands,
  fromAliases,
  fromBuiltin,
  fromBuiltinAliases,
];

/** kmod_module_new_from_name_lookup (modinfo -m): real names only. */
export const NAME_LOOKUP: readonly Resolver[] = [fromModulesDep, fromBuiltin, fromBuiltinAliases];

/**
 * The modules `query` resolves to; undefined when the query is invalid. NAME_LOOKUP callers pass
 * normalizeModuleName, as kmod_module_new_from_name_lookup normalises a name, not an alias.
 */
export function lookupModules(
  ctx: ModuleContext,
  query: string,
  resolvers: readonly Resolver[] = MODPROBE_LOOKUP,
  normalize: (query: string) => string | undefined = normalizeAlias,
): ModuleHandle[] | undefined {
  const normalized = normalize(query);
  if (normalized === undefined) return undefined;
  for (const resolve of resolvers) {
    const found = resolve(ctx, normalized);
    if (found.length > 0) return found;
  }
  return [];
}
