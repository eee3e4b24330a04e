import { LongOption, getopt } from "../cli-kit/getopt";

/**
 * modinfo's command line (tools/modinfo.c): options are acted on in order, so -h or -V wins over
 * anything after it, even an invalid option; -a, -d, -l, -p and -n are -F with a fixed field, and
 * the last one given counts. modbundle adds --bundle FILE.
 */
export interface ModinfoOptions {
  readonly field: string | undefined;
  readonly separator: "\n" | "\0";
  /** -m: every argument is a module name (no alias lookup, no path). */
  readonly modname: boolean;
  /** -k */
  readonly version: string | undefined;
  /** -b */
  readonly root: string | undefined;
  readonly bundle: string | undefined;
  readonly operands: readonly string[];
}

export type ParsedModinfoArgs =
  | { readonly action: "run"; readonly options: ModinfoOptions }
  | { readonly action: "help" | "version" }
  /** glibc's getopt complaint, printed as "modinfo: <text>". */
  | { readonly action: "getopt-error"; readonly message: string }
  /** kmod's own complaint, printed as "modinfo: ERROR: <text>". */
  | { readonly action: "error"; readonly message: string };

const SHORT_OPTIONS = "adlpn0mF:k:b:Vh";

const LONG_OPTIONS: readonly LongOption[] = [
  { name: "author", hasArg: false, key: "a" },
  { name: "description", hasArg: false, key: "d" },
  { name: "license", hasArg: false, key: "l" },
  { name: "parameters", hasArg: false, key: "p" },
  { name: "filename", hasArg: false, key: "n" },
  { name: "null", hasArg: false, key: "0" },
  { name: "modname", hasArg: false, key: "m" },
  { name: "field", hasArg: true, key: "F" },
  { name: "set-version", hasArg: true, key: "k" },
  { name: "basedir", hasArg: true, key: "b" },
  { name: "bundle", hasArg: true, key: "bundle" },
  { name: "version", hasArg: false, key: "V" },
  { name: "help", hasArg: false, key: "h" },
];

const FIXED_FIELDS: Readonly<Record<string, string>> = { a: "author", d: "description", l: "license", p: "parm", n: "filename" };

export function parseModinfoArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedModinfoArgs {
  const parsed = getopt(argv, SHORT_OPTIONS, LONG_OPTIONS, env);
  let field: string | undefined;
  let separator: "\n" | "\0" = "\n";
  let modname = false;
  let version: string | undefined;
  let root: string | undefined;
  let bundle: string | undefined;
  for (const { key, value } of parsed.options) {
    if (key === "h") return { action: "help" };
    if (key === "V") return { action: "version" };
    if (FIXED_FIELDS[key] !== undefined) field = FIXED_FIELDS[key];
    else if (key === "0") separator = "\0";
    else if (key === "m") modname = true;
    else if (key === "F") field = value;
    else if (key === "k") version = value;
    else if (key === "b") root = value;
    else if (key === "bundle") bundle = value;
  }
  if (parsed.error !== undefined) return { action: "getopt-error", message: parsed.error };
  if (parsed.operands.length === 0) return { action: "error", message: "missing module or filename." };
  return { action: "run", options: { field, separator, modname, version, root, bundle, operands: parsed.operands } };
}

/** kmod 30's -V, naming what this implementation supports (gzip, and PKCS#7 without OpenSSL). */

/** kmod's -h text ("%s" is the program name) with --bundle added. */
export const HELP_TEXT = `Usage:
\t%s [options] <modulename|filename> [args]
Options:
\t-a, --author                Print only 'author'
\t-d, --description           Print only 'description'
\t-l, --license               Print only 'license'
\t-p, --parameters            Print only 'parm'
\t-n, --filename              Print only 'filename'
\t-0, --null                  Use \\0 instead of \\n
\t-m, --modname               Handle argument as module name instead of alias or filename
\t-F, --field=FIELD           Print only provided FIELD
\t-k, --set-version=VERSION   Use VERSION instead of \`uname -r\`
\t-b, --basedir=DIR           Use DIR as filesystem root for /lib/modules
\t    --bundle=FILE           Read modules from the bundle FILE (default:
\t                            $MODBUNDLE, then ROOT/boot/modules-VERSION,
\t                            then the directory ROOT/lib/modules/VERSION)
\t-V, --version               Show version
\t-h, --help                  Show this help
`;
