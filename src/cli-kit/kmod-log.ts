import { ModbundleError } from "../errors";
import { escapeControls } from "../util/escape";
import { CommandIO } from "./io";

/**
 * kmod's tools/log.c: "<prog>: <LEVEL>: <message>" on stderr (or syslog with -s), shown when the
 * message's priority is within the threshold. A message at LOG_CRIT ("FATAL") ends the program
 * with status 1, which here is the FatalExit exception that the command turns into its exit
 * status; below the threshold (-q) nothing is printed and nothing ends.
 */
export const LOG_CRIT = 2;
export const LOG_ERR = 3;
export const LOG_WARNING = 4;
export const LOG_NOTICE = 5;
export const LOG_INFO = 6;
export const LOG_DEBUG = 7;

const NAMES: Record<number, string> = { 2: "FATAL", 3: "ERROR", 4: "WARNING", 5: "NOTICE", 6: "INFO", 7: "DEBUG" };

export class FatalExit extends Error {
  constructor() {
    super("fatal");
    this.name = "FatalExit";
  }
}

/**
 * The exit status of a command that failed with `error`: 1 for a FATAL message already printed,
 * 1 after printing a ModbundleError's line at ERROR; anything else is a bug and is rethrown.
 */
export function failureStatus(error: unknown, logger: KmodLogger): number {
  if (error instanceof FatalExit) return 1;
  if (error instanceof ModbundleError) {
    logger.log(LOG_ERR, error.message);
    return 1;
  }
  throw error;
}

export class KmodLogger {
  constructor(
    private readonly io: CommandIO,
    readonly threshold: number,
    private readonly useSyslog: boolean,
  ) {}

  log(priority: number, text: string): void {
    if (priority > this.threshold) return;
    // Messages name modules, paths and values from a bundle: shown with controls escaped.
    const message = escapeControls(text);
    const name = NAMES[priority] ?? `LOG-${String(priority).padStart(3, "0")}`;
    if (this.useSyslog) {
      const { spawnSync } = process.getBuiltinModule("node:child_process");
      // The message goes on standard input, so that its bytes arrive as they are (util/bytes).
      const level = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"][priority] ?? "info";
      const sent = spawnSync("logger", ["-t", this.io.prog, "-p", `daemon.${level}`], { input: Buffer.from(`${name}: ${message}\n`, "latin1") });
      if (sent.status !== 0) this.io.stderr(`${this.io.prog}: ${name}: ${message}\n`);
    } else {
      this.io.stderr(`${this.io.prog}: ${name}: ${message}\n`);
    }
    if (priority <= LOG_CRIT) throw new FatalExit();
  }

  error(message: string): void {
    this.log(LOG_ERR, message);
  }

  warning(message: string): void {
    this.log(LOG_WARNING, message);
  }
}
