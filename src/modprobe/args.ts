import { getopt, LongOption } from "../cli-kit/getopt";

/**
 * modprobe's command line (kmod's tools/modprobe.c): options as data, no behaviour. $MODPROBE_OPTIONS
 * is split like kmod splits it and goes before the arguments.
 */
export interface ModprobeOptions {
  readonly all: boolean;
  readonly remove: boolean;
  readonly removeHolders: boolean;
  readonly waitMsec: number;
  readonly lookupOnly: boolean;
  readonly firstTime: boolean;
  readonly ignoreCommands: boolean;
  readonly useBlacklist: boolean;
  readonly force: boolean;
  readonly forceModversion: boolean;
  readonly forceVermagic: boolean;
  readonly showDepends: boolean;
  readonly showConfig: boolean;
  readonly showModversions: boolean;
  readonly showExports: boolean;
  readonly dryRun: boolean;
  readonly configPaths: readonly string[];
  readonly root?: string;
  readonly version?: string;
  readonly bundle?: string;
  /** -j/--jobs as given (util/jobs.ts turns it into a number). */
  readonly jobs?: string;
  readonly syslog: boolean;
  /** kmod's log threshold: LOG_WARNING (4) by default, LOG_EMERG (0) with -q, +1 per -v. */
  readonly verbosity: number;
  readonly showVersion: boolean;
  readonly showHelp: boolean;
  readonly operands: readonly string[];
  /** Options that nested modprobe calls (install commands) inherit through $MODPROBE_OPTIONS. */
  readonly inheritedOptions: readonly string[];
}

export type ParsedModprobeArgs = { readonly ok: true; readonly options: ModprobeOptions } | { readonly ok: false; readonly error: string; readonly getoptError: boolean };

export const SHORT_OPTIONS = "arw:RibfDcnC:d:S:j:sqvVh";

export const LONG_OPTIONS: readonly LongOption[] = [
  { name: "all", hasArg: false, key: "a" },
  { name: "remove", hasArg: false, key: "r" },
  { name: "remove-dependencies", hasArg: false, key: "remove-holders" },
  { name: "remove-holders", hasArg: false, key: "remove-holders" },
  { name: "wait", hasArg: true, key: "w" },
  { name: "show-alias", hasArg: false, key: "R" },
  { name: "resolve-alias", hasArg: false, key: "R" },
  { name: "first-time", hasArg: false, key: "first-time" },
  { name: "ignore-install", hasArg: false, key: "i" },
  { name: "ignore-remove", hasArg: false, key: "i" },
  { name: "use-blacklist", hasArg: false, key: "b" },
  { name: "force", hasArg: false, key: "f" },
  { name: "force-modversion", hasArg: false, key: "force-modversion" },
  { name: "force-vermagic", hasArg: false, key: "force-vermagic" },
  { name: "show-depends", hasArg: false, key: "D" },
  { name: "showconfig", hasArg: false, key: "c" },
  { name: "show-config", hasArg: false, key: "c" },
  { name: "show-modversions", hasArg: false, key: "show-modversions" },
  { name: "dump-modversions", hasArg: false, key: "show-modversions" },
  { name: "show-exports", hasArg: false, key: "show-exports" },
  { name: "dry-run", hasArg: false, key: "n" },
  { name: "show", hasArg: false, key: "n" },
  { name: "config", hasArg: true, key: "C" },
  { name: "dirname", hasArg: true, key: "d" },
  { name: "set-version", hasArg: true, key: "S" },
  { name: "bundle", hasArg: true, key: "bundle" },
  { name: "jobs", hasArg: true, key: "j" },
  { name: "syslog", hasArg: false, key: "s" },
  { name: "quiet", hasArg: false, key: "q" },
  { name: "verbose", hasArg: false, key: "v" },
  { name: "version", hasArg: false, key: "V" },
  { name: "help", hasArg: false, key: "h" },
];

/**
 * kmod's prepend_options_from_env: split on spaces; a quote at the start of a word quotes it
 * whole (the quotes dropped); a quoted part inside a word has its quotes removed.
 */
export function splitModprobeOptions(value: string): string[] {
  const words: string[] = [];
  let current = "";
  let quote: string | undefined;
  let quoteAtStart = false;
  let started = false;
  for (const c of value) {
    if (quote === undefined) {
      if (c === " ") {
        words.push(current);
        current = "";
        started = false;
      } else if (c === '"' || c === "'") {
        quote = c;
        quoteAtStart = !started;
        started = true;
      } else {
        current += c;
        started = true;
      }
    } else if (c === quote) {
      if (quoteAtStart) {
        words.push(current);
        current = "";
        started = false;
      }
      quote = undefined;
    } else {
      current += c;
    }
  }
  if (current !== "" || started) words.push(current);
  return words;
}

/** "k=v w" becomes k="v w" (tools/modprobe.c options_from_array); joined with spaces. */
export function moduleParameters(words: readonly string[]): string | undefined {
  if (words.length === 0) return undefined;
  return words
    .map((word) => {
      const eq = word.indexOf("=");
      if (eq < 0) return word;
      const value = word.slice(eq + 1);
      if (value.startsWith('"') || value.startsWith("'") || !value.includes(" ")) return word;
      return `${word.slice(0, eq + 1)}"${value}"`;
    })
    .join(" ");
}

export function parseModprobeArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedModprobeArgs {
  const fromEnv = env.MODPROBE_OPTIONS !== undefined ? splitModprobeOptions(env.MODPROBE_OPTIONS) : [];
  const parsed = getopt([...fromEnv, ...argv], SHORT_OPTIONS, LONG_OPTIONS, env);
  if (parsed.error !== undefined) return { ok: false, error: parsed.error, getoptError: true };
  const o = {
    all: false, remove: false, removeHolders: false, waitMsec: 0, lookupOnly: false, firstTime: false,
    ignoreCommands: false, useBlacklist: false, force: false, forceModversion: false, forceVermagic: false,
    showDepends: false, showConfig: false, showModversions: false, showExports: false, dryRun: false,
    configPaths: [] as string[], root: undefined as string | undefined, version: undefined as string | undefined,
    bundle: undefined as string | undefined, jobs: undefined as string | undefined, syslog: false, verbosity: 4, showVersion: false, showHelp: false,
    operands: parsed.operands, inheritedOptions: [] as string[],
  };
  for (const { key, value } of parsed.options) {
    switch (key) {
      case "a": o.all = true; break;
      case "r": o.remove = true; break;
      case "remove-holders": o.removeHolders = true; break;
      case "w": {
        const text = value ?? "";
        const number = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(text) ? Number(text.startsWith("0") && !/^0[xX]/.test(text) && text.length > 1 ? parseInt(text, 8) : text) : NaN;
        if (!Number.isFinite(number)) return { ok: false, error: `unexpected wait value '${text}'.`, getoptError: false };
        o.waitMsec = number;
        break;
      }
      case "first-time": o.firstTime = true; break;
      case "i": o.ignoreCommands = true; break;
      case "b": o.useBlacklist = true; break;
      case "f": o.force = true; break;
      case "force-modversion": o.forceModversion = true; break;
      case "force-vermagic": o.forceVermagic = true; break;
      case "D": o.showDepends = true; o.dryRun = true; break;
      case "R": o.lookupOnly = true; break;
      case "c": o.showConfig = true; break;
      case "show-modversions": o.showModversions = true; break;
      case "show-exports": o.showExports = true; break;
      case "n": o.dryRun = true; break;
      case "C": o.configPaths.push(value ?? ""); o.inheritedOptions.push("-C", value ?? ""); break;
      case "d": o.root = value; break;
      case "S": o.version = value; break;
      case "bundle": o.bundle = value; break;
      case "j": o.jobs = value; break;
      case "s": o.syslog = true; o.inheritedOptions.push("-s"); break;
      case "q": o.verbosity = 0; o.inheritedOptions.push("-q"); break;
      case "v": o.verbosity++; o.inheritedOptions.push("-v"); break;
      case "V": o.showVersion = true; break;
      case "h": o.showHelp = true; break;
    }
    if (o.showVersion || o.showHelp) break;
  }
  return { ok: true, options: o };
}
