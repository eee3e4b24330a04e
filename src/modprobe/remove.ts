import { KernelError } from "../kernel/kernel";
import { strerror } from "../util/errno";
import { lookupModules } from "../resolve/lookup";
import { ModuleHandle } from "../resolve/modules";
import { softdepsOf } from "./probe-plan";
import { ModprobeSession } from "./session";
import { escapeControls } from "../util/escape";

/**
 * modprobe -r (tools/modprobe.c rmmod_do_module), per module: post-softdeps (reverse, errors
 * ignored), holders with --remove-holders, the module itself (refusing when in use, unless -w),
 * then its hard dependencies whose refcount is 0, then its pre-softdeps (reverse). A remove
 * command replaces the removal and the checks. Results are undefined (success) or an errno name.
 */
type Failure = string | undefined;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function removeModule(session: ModprobeSession, module: ModuleHandle): Promise<Failure> {
  const { options: opts } = session;
  if (session.showing) session.io.stdout(`rmmod ${escapeControls(module.name)}\n`);
  if (opts.dryRun) return undefined;
  const start = Date.now();
  const end = start + opts.waitMsec;
  let delta = 0;
  for (;;) {
    let code: string | undefined;
    try {
      session.kernel.removeModule(module.name, { force: opts.force });
      return undefined;
    } catch (error) {
      if (!(error instanceof KernelError)) throw error;
      code = error.code;
    }
    if (opts.waitMsec === 0) {
      session.logger.error(`could not remove '${module.name}': ${strerror(code)}`);
      return code;
    }
    if (code !== "EAGAIN" && code !== "EWOULDBLOCK") {
      session.logger.error(`could not remove '${module.name}': ${strerror(code)}`);
      return code;
    }
    // get_backoff_delta_msec: double the interval, never past the deadline.
    const now = Date.now();
    delta = delta === 0 ? 1 : delta * 2;
    while (delta > 0 && now + delta > end) delta = Math.floor(delta / 2);
    if (delta === 0 && end > now) delta = end - now;
    if (delta === 0) {
      session.logger.error(`could not remove '${module.name}': ${strerror(code)}`);
      return code;
    }
    await sleep(delta);
  }
}

async function removeList(session: ModprobeSession, list: readonly ModuleHandle[], stopOnErrors: boolean): Promise<Failure> {
  for (const module of [...list].reverse()) {
    const failure = await removeOne(session, module, false, true);
    if (failure !== undefined && stopOnErrors) return failure;
  }
  return undefined;
}

async function removeOne(session: ModprobeSession, module: ModuleHandle, removeHolders: boolean, ignoreBuiltin: boolean): Promise<Failure> {
  const { ctx, options: opts } = session;
  let pre: readonly ModuleHandle[] = [];
  let post: readonly ModuleHandle[] = [];
  let command: string | undefined;
  if (!opts.ignoreCommands) {
    ({ pre, post } = softdepsOf(ctx, module, (m) => session.logger.error(m)));
    command = ctx.removeCommand(module);
  }
  const ignoreLoaded = opts.showDepends;
  if (command === undefined && !ignoreLoaded) {
    const state = session.initstate(module);
    if (state === undefined) {
      if (opts.firstTime) {
        session.fatal(`Module ${module.name} is not in kernel.`);
        return "ENOENT";
      }
      return undefined;
    }
    if (state === "builtin") {
      if (ignoreBuiltin) return undefined;
      session.fatal(`Module ${module.name} is builtin.`);
      return "ENOENT";
    }
  }
  await removeList(session, post, false);
  if (removeHolders) {
    const holders = (session.kernel.holders(module.name) ?? []).map((name) => ctx.byName(name));
    const failure = await removeList(session, holders, true);
    if (failure !== undefined) return failure;
  }
  if (command === undefined && !ignoreLoaded && opts.waitMsec === 0) {
    const usage = session.kernel.refcnt(module.name);
    if (usage !== undefined && usage > 0) {
      session.fatal(`Module ${module.name} is in use.`);
      return "EBUSY";
    }
  }
  if (command === undefined) {
    // Removing the holders can take the module with them (as an unused dependency): then there
    // is nothing left to remove (kmod 30 reported ENOENT here; later kmod checks first).
    const goneWithHolders = removeHolders && !opts.dryRun && session.kernel.initstate(module.name) === undefined;
    const failure = goneWithHolders ? undefined : await removeModule(session, module);
    if (failure !== undefined) return failure;
    for (const dep of ctx.dependencies(module)) {
      if (session.kernel.refcnt(dep.name) !== 0) continue;
      await removeModule(session, dep);
    }
  } else {
    if (session.showing) session.io.stdout(`remove ${command}\n`);
    if (!opts.dryRun) {
      const status = session.io.system(command, session.childEnv({ MODPROBE_MODULE: module.name }));
      if (status !== 0) {
        session.fatal(`Error running remove command for ${module.name}`);
        return "EINVAL";
      }
    }
  }
  await removeList(session, pre, false);
  return undefined;
}

/** modprobe -r QUERY: every module the lookup gives, stopping at the first failure. */
export async function modprobeRemove(session: ModprobeSession, query: string): Promise<boolean> {
  const list = lookupModules(session.ctx, query);
  if (list === undefined || list.length === 0) {
    session.fatal(`Module ${query} not found.`);
    return false;
  }
  for (const module of list) {
    const failure = await removeOne(session, module, session.options.removeHolders, false);
    if (failure !== undefined) return false;
  }
  return true;
}
