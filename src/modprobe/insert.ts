import { KernelError, ModuleLoader } from "../kernel/kernel";
import { ModbundleError } from "../errors";
import { strerror } from "../util/errno";
import { timingAdd, timingNow } from "../util/timing";
import { lookupModules } from "../resolve/lookup";
import { ModuleHandle } from "../resolve/modules";
import { concatOptions, probePlan } from "./probe-plan";
import { ModprobeSession } from "./session";
import { escapeControls } from "../util/escape";

/**
 * Inserting one module the way modprobe does (kmod_module_probe_insert_module): already in the
 * kernel → done (or EEXIST with --first-time); blacklisted when reached by alias (or by any name
 * with -b) → skipped; otherwise its load plan is walked, each step skipped when already loaded,
 * printed when showing, and run unless dry-running. Errors are negative errno names.
 */
export type Result = { readonly ok: true } | { readonly ok: false; readonly code: string; readonly message?: string };

export const OK: Result = { ok: true };

function substituteOptions(command: string, options: string): string {
  return command.split("$CMDLINE_OPTS").join(options);
}


/** A kernel errno, or a problem with the stored module (checksum, format) described in words. */
function failure(error: unknown): Result & { ok: false } {
  if (error instanceof KernelError) return { ok: false, code: error.code };
  if (error instanceof ModbundleError) return { ok: false, code: "EBADMSG", message: error.message };
  throw error;
}

/**
 * One step of a plan: the install command, or the module loaded through `loader` (the kernel, or
 * its loader for loads side by side in a parallel run).
 */
export async function runStep(session: ModprobeSession, module: ModuleHandle, options: string, useCommand: boolean, loader?: ModuleLoader): Promise<Result> {
  const { ctx, options: opts } = session;
  if (useCommand) {
    const command = ctx.installCommand(module) as string;
    if (session.showing) session.io.stdout(`install ${command} ${options}\n`);
    if (opts.dryRun) return OK;
    const expanded = substituteOptions(command, options);
    const status = session.io.system(expanded, session.childEnv({ MODPROBE_MODULE: module.name }));
    if (status !== 0) {
      session.logger.error(`Error running install command '${expanded}' for module ${module.name}: retcode ${status}`);
      return { ok: false, code: "EINVAL" };
    }
    return OK;
  }
  const number = ctx.moduleNumber(module);
  if (session.showing) {
    if (number >= 0) session.io.stdout(`insmod ${escapeControls(ctx.db.modulePath(number))} ${options}\n`);
    else if (ctx.isBuiltin(module)) session.io.stdout(`builtin ${escapeControls(module.name)}\n`);
  }
  if (opts.dryRun) return OK;
  if (number < 0) {
    session.logger.error(`could not find module by name='${module.name}'`);
    return { ok: false, code: "ENOENT" };
  }
  // The image is needed until its load is over (in its memfd by then, or decoded).
  let lent: Buffer | undefined;
  try {
    const started = timingNow();
    const file = ctx.db.readModule(number, (length) => (lent = session.moduleBuffers.take(length)));
    timingAdd("read", started);
    // Loaded only when something is really inserted: -D, -n and -R never pay for it.
    const { insertModule } = await import("../kernel/prepare-image.js");
    await insertModule(loader ?? session.kernel, file, options, {
      ignoreModversions: opts.force || opts.forceModversion,
      ignoreVermagic: opts.force || opts.forceVermagic,
    }, ctx.db.modulePath(number));
    return OK;
  } catch (error) {
    const result = failure(error);
    session.logger.log(6, `Failed to insert module '${ctx.db.modulePath(number)}': ${result.message ?? strerror(result.code)}`);
    return result;
  } finally {
    if (lent !== undefined) session.moduleBuffers.give(lent);
  }
}

/**
 * The modules these loads will read, announced at once (a remote bundle fetches them in one
 * round): those not run by an install command and not in the kernel yet.
 */
export function prefetchLoads(session: ModprobeSession, loads: ReadonlyArray<{ readonly module: ModuleHandle; readonly useCommand: boolean }>): void {
  const { ctx } = session;
  // Working out which modules those are asks the kernel about each: worth it only when it
  // fetches something.
  if (!ctx.db.prefetches) return;
  const numbers = loads.flatMap(({ module, useCommand }) => {
    const number = ctx.moduleNumber(module);
    return number >= 0 && !useCommand && !session.isInKernel(module) ? [number] : [];
  });
  ctx.db.prefetchModules(numbers);
}

export async function probeInsert(session: ModprobeSession, target: ModuleHandle, extraOptions: string | undefined): Promise<Result> {
  const { ctx, options: opts } = session;
  const ignoreLoaded = opts.showDepends;
  if (!ignoreLoaded && session.isInKernel(target)) return opts.firstTime ? { ok: false, code: "EEXIST" } : OK;
  if ((target.alias !== undefined || opts.useBlacklist) && ctx.isBlacklisted(target)) return OK;

  const plan = probePlan(ctx, target, opts.ignoreCommands, session.ignoreCommand, (m) => session.logger.error(m));
  if (!opts.dryRun) {
    prefetchLoads(session, plan.map((step) => ({ module: step.module, useCommand: ctx.installCommand(step.module) !== undefined && !step.ignoreCommand })));
  }
  let result: Result = OK;
  for (const step of plan) {
    const module = step.module;
    if (!ignoreLoaded && session.isInKernel(module)) {
      result = { ok: false, code: "EEXIST" };
    } else {
      const options = concatOptions(ctx.options(module), module === target ? extraOptions : undefined);
      const useCommand = ctx.installCommand(module) !== undefined && !step.ignoreCommand;
      result = await runStep(session, module, options, useCommand);
    }
    if (!result.ok && result.code === "EEXIST" && module === target && opts.firstTime) break;
    if (!result.ok && (result.code === "EEXIST" || !step.required)) result = OK;
    else if (!result.ok) break;
  }
  return result;
}

/** modprobe.c insmod(): resolve `query`, then insert (or with -R print) every module found. */
export async function modprobeInsert(session: ModprobeSession, query: string, extraOptions: string | undefined): Promise<boolean> {
  const { ctx } = session;
  const list = lookupModules(ctx, query);
  if (list === undefined || list.length === 0) {
    session.fatal(`Module ${query} not found in ${ctx.db.description}`);
    return false;
  }
  let result: Result = OK;
  for (const module of list) {
    if (session.options.lookupOnly) {
      session.io.stdout(`${escapeControls(module.name)}\n`);
      result = OK;
      continue;
    }
    result = await probeInsert(session, module, extraOptions);
    reportInsert(session, module, result);
  }
  return result.ok;
}

/** modprobe.c insmod()'s message for a module that could not be inserted (nothing when it was). */
export function reportInsert(session: ModprobeSession, module: ModuleHandle, result: Result): void {
  if (result.ok) return;
  switch (result.code) {
    case "EEXIST":
      session.logger.error(`could not insert '${module.name}': Module already in kernel`);
      break;
    case "ENOENT":
      session.logger.error(`could not insert '${module.name}': Unknown symbol in module, or unknown parameter (see dmesg)`);
      break;
    default:
      session.logger.error(`could not insert '${module.name}': ${result.message ?? strerror(result.code)}`);
  }
}
