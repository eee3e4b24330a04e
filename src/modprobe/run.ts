import fs = require("node:fs");
import path = require("node:path");
import { loadOwnModule } from "../code-cache";
import { CommandIO } from "../cli-kit/io";
import { KmodLogger, LOG_ERR, failureStatus } from "../cli-kit/kmod-log";
import { renderConfig } from "./show-config";
import { ModuleContext } from "../resolve/modules";
import { moduleParameters, parseModprobeArgs } from "./args";
import { loadConfig, openDatabase } from "./context";
import { HELP } from "./help";
import { VERSION_TEXT } from "../cli-kit/version";
import { modprobeInsert } from "./insert";
import { cpuCount, jobCount } from "../util/jobs";
import { modprobeRemove } from "./remove";
import { ModprobeSession } from "./session";

/**
 * Parts of modprobe that only some runs need (parallel loading, --show-modversions and
 * --show-exports) are files of their own, loaded when a run needs them: a single lookup or
 * load, what the kernel asks for most, neither parses nor compiles them.
 */
function ownPart<T>(name: string): T {
  return loadOwnModule<T>(path.join(__dirname, "..", "modprobe", `${name}.js`));
}

/** do_modprobe: arguments to exit status (0 or 1), as kmod's modprobe. */
export async function runModprobe(argv: readonly string[], io: CommandIO): Promise<number> {
  const parsed = parseModprobeArgs(argv, io.env);
  if (!parsed.ok) {
    if (parsed.getoptError) io.stderr(`${io.prog}: ${parsed.error}\n`);
    else io.stderr(`${io.prog}: ERROR: ${parsed.error}\n`);
    return 1;
  }
  const opts = parsed.options;
  const jobs = jobCount(opts.jobs, io.env);
  if (typeof jobs === "string") {
    io.stderr(`${io.prog}: ERROR: ${jobs}\n`);
    return 1;
  }
  if (opts.showVersion) {
    io.stdout(VERSION_TEXT);
    return 0;
  }
  if (opts.showHelp) {
    io.stdout(HELP.replace(/%s/g, io.prog));
    return 0;
  }
  let stderrUsable = true;
  try {
    fs.fstatSync(2);
  } catch {
    stderrUsable = false;
  }
  const logger = new KmodLogger(io, opts.verbosity, opts.syslog || !stderrUsable);
  try {
    if (!opts.showConfig && opts.operands.length === 0) {
      logger.log(LOG_ERR, "missing parameters. See -h.");
      return 1;
    }
    const db = openDatabase(opts, io);
    try {
      const config = loadConfig(db, opts.configPaths, io, (m) => logger.error(m));
      const session = new ModprobeSession(opts, new ModuleContext(db, config), io, logger);
      if (opts.showConfig) {
        io.stdout(renderConfig(config, db));
        return 0;
      }
      if (opts.showModversions || opts.showExports) {
        return (await ownPart<typeof import("./modversions")>("modversions").showModuleSymbols(session, opts.operands[0], opts.showExports ? "exports" : "versions")) ? 0 : 1;
      }
      let ok = true;
      // Loads that can overlap go through the batch executor; -j 1, dry runs and -R stay on
      // kmod's sequential path, byte for byte.
      const width = opts.dryRun || opts.lookupOnly ? 1 : (jobs ?? cpuCount());
      const parallel = width > 1;
      if (opts.remove) {
        for (const query of opts.operands) if (!(await modprobeRemove(session, query))) ok = false;
      } else if (parallel) {
        const requests = opts.all ? opts.operands.map((query) => ({ query })) : [{ query: opts.operands[0], extraOptions: moduleParameters(opts.operands.slice(1)) }];
        ok = await ownPart<typeof import("./batch-insert")>("batch-insert").modprobeInsertBatch(session, requests, width);
      } else if (opts.all) {
        for (const query of opts.operands) if (!(await modprobeInsert(session, query, undefined))) ok = false;
      } else {
        ok = await modprobeInsert(session, opts.operands[0], moduleParameters(opts.operands.slice(1)));
      }
      return ok ? 0 : 1;
    } finally {
      db.close();
    }
  } catch (error) {
    return failureStatus(error, logger);
  }
}
