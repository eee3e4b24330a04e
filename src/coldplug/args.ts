import { getopt, LongOption } from "../cli-kit/getopt";

/** `modbundle coldplug`'s command line: options as data. */
export interface ColdplugOptions {
  readonly bundle?: string;
  readonly root?: string;
  readonly version?: string;
  readonly configPaths: readonly string[];
  readonly dryRun: boolean;
  /** 0 with -q, 1 by default, +1 per -v. */
  readonly verbosity: number;
  readonly jobs?: string;
  readonly showHelp: boolean;
}

export type ParsedColdplugArgs = { readonly ok: true; readonly options: ColdplugOptions } | { readonly ok: false; readonly error: string };

const SHORT = "d:S:C:nvqj:h";
const LONG: readonly LongOption[] = [
  { name: "bundle", hasArg: true, key: "bundle" },
  { name: "dirname", hasArg: true, key: "d" },
  { name: "set-version", hasArg: true, key: "S" },
  { name: "config", hasArg: true, key: "C" },
  { name: "dry-run", hasArg: false, key: "n" },
  { name: "verbose", hasArg: false, key: "v" },
  { name: "quiet", hasArg: false, key: "q" },
  { name: "jobs", hasArg: true, key: "j" },
  { name: "help", hasArg: false, key: "h" },
];

export const COLDPLUG_HELP = `Usage:
\tmodbundle coldplug [options]
Loads the drivers of the devices present: every modalias under ROOT/sys/devices resolved as
'modprobe -b -a -q' would, loaded in parallel, repeated while loaded drivers bring new devices.
Options:
\t    --bundle=FILE           Read modules from the bundle FILE
\t-d, --dirname=ROOT          Use ROOT/sys/devices and ROOT/lib/modules (default /)
\t-S, --set-version=VERSION   Use VERSION instead of \`uname -r\`
\t-C, --config=FILE           Use FILE instead of default search paths
\t-n, --dry-run               Print what would be loaded, load nothing
\t-v, --verbose               Print each round (and with -n, the plan)
\t-q, --quiet                 Print no errors
\t-j, --jobs=N                Load up to N modules at a time (default:
\t                            $MODBUNDLE_JOBS, then the number of CPUs)
\t-h, --help                  Show this help
`;

export function parseColdplugArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedColdplugArgs {
  const parsed = getopt(argv, SHORT, LONG, env);
  if (parsed.error !== undefined) return { ok: false, error: parsed.error };
  if (parsed.operands.length > 0) return { ok: false, error: `unexpected argument '${parsed.operands[0]}'` };
  const o = { bundle: undefined as string | undefined, root: undefined as string | undefined, version: undefined as string | undefined, configPaths: [] as string[], dryRun: false, verbosity: 1, jobs: undefined as string | undefined, showHelp: false };
  for (const { key, value } of parsed.options) {
    switch (key) {
      case "bundle": o.bundle = value; break;
      case "d": o.root = value; break;
      case "S": o.version = value; break;
      case "C": o.configPaths.push(value ?? ""); break;
      case "n": o.dryRun = true; break;
      case "v": o.verbosity++; break;
      case "q": o.verbosity = 0; break;
      case "j": o.jobs = value; break;
      case "h": o.showHelp = true; break;
    }
  }
  return { ok: true, options: o };
}
