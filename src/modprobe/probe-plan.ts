import { lookupModules } from "../resolve/lookup";
import { ModuleContext, ModuleHandle } from "../resolve/modules";

/**
 * The load plan for one module (libkmod kmod_module_get_probe_list): for the target and each of
 * its hard dependencies (base-most first), its pre-softdeps' plans, itself, then its
 * post-softdeps' plans. A module is expanded once per plan ("visited"), though it can still
 * appear twice (a dependency is appended without that check, as kmod does); its dependencies
 * and the target are "required" (their errors count), softdeps are not. A module with softdeps
 * has its install command ignored, and with -i so has the target.
 */
export interface ProbeStep {
  readonly module: ModuleHandle;
  readonly required: boolean;
  /** Load the module itself even if an install command matches. */
  readonly ignoreCommand: boolean;
  /**
   * Softdep order: the modules this one must come after (its pre-softdeps; for a post-softdep,
   * the module that names it). Sequential runs follow the list's order anyway; a parallel run
   * (batch-plan.ts) keeps these edges.
   */
  readonly after: readonly ModuleHandle[];
  /**
   * For a post-softdep, the modules that name it: kmod's sequential walk never reaches it when
   * such a module failed (a required step's error ends the plan), so a parallel run does not load
   * it either.
   */
  readonly postOf: readonly ModuleHandle[];
}

export interface Softdeps {
  readonly pre: readonly ModuleHandle[];
  readonly post: readonly ModuleHandle[];
}

/**
 * The first softdep line whose pattern matches the module's name; each name in it resolved with
 * the full lookup (an unresolvable one is skipped, an invalid one reported).
 */
export function softdepsOf(ctx: ModuleContext, module: ModuleHandle, warn: (message: string) => void): Softdeps {
  let known = softdepsKnown.get(ctx);
  if (!known) softdepsKnown.set(ctx, (known = new Map()));
  let found = known.get(module);
  if (!found) known.set(module, (found = findSoftdeps(ctx, module)));
  for (const message of found.warnings) warn(message);
  return found.softdeps;
}

/**
 * Each module's softdeps, found once per context: a plan asks once per step that reaches the
 * module (a hostile index can make those millions), kmod's warnings repeated at every ask.
 */
const softdepsKnown = new WeakMap<ModuleContext, Map<ModuleHandle, { softdeps: Softdeps; warnings: readonly string[] }>>();

function findSoftdeps(ctx: ModuleContext, module: ModuleHandle): { softdeps: Softdeps; warnings: readonly string[] } {
  const warnings: string[] = [];
  const line = ctx.softdepLine(module.name);
  if (!line) return { softdeps: { pre: [], post: [] }, warnings };
  const resolve = (names: readonly string[]): ModuleHandle[] =>
    names.flatMap((name) => {
      const found = lookupModules(ctx, name);
      if (found === undefined) {
        warnings.push(`failed to lookup soft dependency '${name}', continuing anyway.`);
        return [];
      }
      return found;
    });
  return { softdeps: { pre: resolve(line.pre), post: resolve(line.post) }, warnings };
}

/** A module's parameters: "a" + " " + "b", with kmod's trailing space when only config options exist. */
export function concatOptions(config: string | undefined, extra: string | undefined): string {
  if (!config && !extra) return "";
  return config !== undefined ? `${config} ${extra ?? ""}` : (extra ?? "");
}

/**
 * kmod keeps "ignore the install command" on the module object and never resets it, so it
 * carries over between the modules of one `modprobe -a`; `ignoreCommand` is that memory.
 */
export function probePlan(
  ctx: ModuleContext,
  target: ModuleHandle,
  ignoreTargetCommand: boolean,
  ignoreCommand: Map<ModuleHandle, boolean>,
  warn: (message: string) => void,
): ProbeStep[] {
  const visited = new Set<ModuleHandle>();
  const required = new Set<ModuleHandle>();
  const order: ModuleHandle[] = [];
  const after = new Map<ModuleHandle, ModuleHandle[]>();
  const postOf = new Map<ModuleHandle, ModuleHandle[]>();
  // Appended in place: a hostile index can name one module thousands of times in a list, and
  // copying the list at each step made planning quadratic.
  const append = (map: Map<ModuleHandle, ModuleHandle[]>, module: ModuleHandle, values: readonly ModuleHandle[]): void => {
    if (values.length === 0) return;
    const list = map.get(module);
    if (list) list.push(...values);
    else map.set(module, [...values]);
  };

  const fillSoftdep = (module: ModuleHandle): void => {
    const { pre, post } = softdepsOf(ctx, module, warn);
    for (const m of pre) expand(m, false, false);
    order.push(module);
    append(after, module, pre);
    ignoreCommand.set(module, pre.length > 0 || post.length > 0);
    for (const m of post) {
      append(after, m, [module]);
      append(postOf, m, [module]);
      expand(m, false, false);
    }
  };

  const expand = (module: ModuleHandle, isRequired: boolean, ignoreCmd: boolean): void => {
    if (visited.has(module)) return;
    visited.add(module);
    const deps = ctx.dependencies(module);
    if (isRequired) {
      required.add(module);
      for (const d of deps) required.add(d);
    }
    for (const d of deps) fillSoftdep(d);
    if (ignoreCmd) {
      order.push(module);
      ignoreCommand.set(module, true);
    } else {
      fillSoftdep(module);
    }
  };

  expand(target, true, ignoreTargetCommand);
  return order.map((module) => ({ module, required: required.has(module), ignoreCommand: ignoreCommand.get(module) === true, after: after.get(module) ?? [], postOf: postOf.get(module) ?? [] }));
}
