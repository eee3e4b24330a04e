import { CommandIO } from "../cli-kit/io";
import { KmodLogger, failureStatus } from "../cli-kit/kmod-log";
import { ModuleContext } from "../resolve/modules";
import { cpuCount, jobCount } from "../util/jobs";
import { parseModprobeArgs } from "../modprobe/args";
import { executeBatch, planInsert, targetResult } from "../modprobe/batch-insert";
import { loadConfig, openDatabase } from "../modprobe/context";
import { reportInsert, runStep } from "../modprobe/insert";
import { ModprobeSession } from "../modprobe/session";
import { COLDPLUG_HELP, parseColdplugArgs } from "./args";
import { busDeviceCount, readModaliases } from "./sysfs";

/**
 * `modbundle coldplug`: what an initramfs without udev needs. Each round reads the modalias of
 * every device under ROOT/sys/devices not seen before, resolves each as `modprobe -b -a -q`
 * would (blacklist applied, an alias that matches nothing is no error), and loads the result as
 * one parallel batch. Loading a bus driver (virtio_pci, ahci, xhci_hcd) makes new devices appear,
 * so the next round looks again, until a round finds no new device (at most MAX_ROUNDS). A dry
 * run makes one round. Exit status 1 when a load failed.
 */
const MAX_ROUNDS = 8;
/**
 * Devices behind a new bus driver appear over time (USB enumeration runs after xhci_hcd's probe
 * has returned): after a round that loaded something, when a scan finds nothing new, the buses'
 * device count is watched every SETTLE_STEP_MS for up to SETTLE_MS, and the tree walked again
 * only when it changed (a walk of a real /sys costs far more than the wait).
 */
const SETTLE_MS = 300;
const SETTLE_STEP_MS = 25;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Modaliases not seen yet; after loads, waiting a little for devices still appearing. */
async function newModaliases(root: string, seen: ReadonlySet<string>, settle: boolean): Promise<string[]> {
  const unseen = (): string[] => readModaliases(root).filter((alias) => !seen.has(alias));
  let count = busDeviceCount(root);
  const fresh = unseen();
  if (fresh.length > 0 || !settle) return fresh;
  const until = Date.now() + SETTLE_MS;
  while (Date.now() < until) {
    await sleep(SETTLE_STEP_MS);
    const now = busDeviceCount(root);
    if (now === count) continue;
    count = now;
    const more = unseen();
    if (more.length > 0) return more;
  }
  return [];
}

export async function runColdplug(argv: readonly string[], io: CommandIO): Promise<number> {
  const parsed = parseColdplugArgs(argv, io.env);
  if (!parsed.ok) {
    io.stderr(`${io.prog}: ERROR: ${parsed.error}\n`);
    return 1;
  }
  const opts = parsed.options;
  if (opts.showHelp) {
    io.stdout(COLDPLUG_HELP);
    return 0;
  }
  const jobs = jobCount(opts.jobs, io.env);
  if (typeof jobs === "string") {
    io.stderr(`${io.prog}: ERROR: ${jobs}\n`);
    return 1;
  }
  // The modprobe run this is: -a -b, with -q or -v, -n, and where the modules are.
  const modprobeArgv = ["-a", "-b", ...(opts.dryRun ? ["-n"] : [])];
  if (opts.verbosity === 0) modprobeArgv.push("-q");
  for (let v = 1; v < opts.verbosity; v++) modprobeArgv.push("-v");
  for (const path of opts.configPaths) modprobeArgv.push("-C", path);
  const modprobe = parseModprobeArgs(modprobeArgv, { ...io.env, MODPROBE_OPTIONS: undefined });
  if (!modprobe.ok) throw new Error(`coldplug: ${modprobe.error}`);
  const modprobeOptions = { ...modprobe.options, bundle: opts.bundle, root: opts.root, version: opts.version };
  const logger = new KmodLogger(io, modprobeOptions.verbosity, false);
  try {
    const db = openDatabase(modprobeOptions, io);
    try {
      const config = loadConfig(db, modprobeOptions.configPaths, io, (m) => logger.error(m));
      const session = new ModprobeSession(modprobeOptions, new ModuleContext(db, config), io, logger);
      return (await coldplugRounds(session, opts.root ?? "/", jobs ?? cpuCount(), opts.verbosity > 1)) ? 0 : 1;
    } finally {
      db.close();
    }
  } catch (error) {
    return failureStatus(error, logger);
  }
}

async function coldplugRounds(session: ModprobeSession, root: string, jobs: number, verbose: boolean): Promise<boolean> {
  const seen = new Set<string>();
  let ok = true;
  let loaded = false;
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const fresh = await newModaliases(root, seen, loaded);
    if (fresh.length === 0) break;
    for (const alias of fresh) seen.add(alias);
    const plan = planInsert(session, fresh.map((query) => ({ query })));
    if (verbose) session.io.stdout(`coldplug: round ${round}: ${fresh.length} new modaliases, ${plan.nodes.length} modules to load\n`);
    if (session.options.dryRun) {
      // The plan in kmod's order, as modprobe -n -v prints it.
      for (const node of plan.nodes) await runStep(session, node.module, node.options, node.useCommand);
      break;
    }
    const results = await executeBatch(session, plan, jobs);
    for (const query of plan.queries) {
      for (const target of query.targets ?? []) {
        const result = targetResult(target.outcome, results, false);
        reportInsert(session, target.module, result);
        if (!result.ok) ok = false;
      }
    }
    loaded = results.some((result) => result.ok);
    if (plan.nodes.length === 0) break;
  }
  return ok;
}
