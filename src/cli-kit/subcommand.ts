import { getopt, LongOption } from "./getopt";
import { UsageError } from "./output";
import { VERSION_TEXT } from "./version";

/**
 * The bundle tools' subcommands (`modbundle pack ...`), described as data: each one's options and
 * operands, from which come its argument parsing (GNU getopt_long, as kmod's tools), its usage
 * text and its argument errors, so that every subcommand behaves and speaks alike. A subcommand
 * turns what was parsed into its own options object (a pure function, tested table by table) and
 * loads the code that runs it only when it runs.
 */
export interface OptionSpec {
  /** The long name, without "--". */
  readonly long: string;
  /** The one-letter form, if there is one. */
  readonly short?: string;
  /** The argument's name in the usage text ("FILE"); absent for an option without argument. */
  readonly arg?: string;
  readonly help: string;
}

/** What getopt found, looked up by long option name. */
export interface ParsedArgs {
  readonly operands: readonly string[];
  has(long: string): boolean;
  /** The last value given for the option (a later one overrides an earlier one). */
  value(long: string): string | undefined;
  /** Every value given for the option, in command-line order. */
  values(long: string): string[];
}

/** What a subcommand's run may use besides its options: only what the command line cannot say. */
export interface ToolContext {
  readonly env: NodeJS.ProcessEnv;
  /** The path of the running program (for `link`). */
  readonly program: string;
  stdout(text: string): void;
}

export interface ToolSpec<O> {
  readonly name: string;
  /** One line for `modbundle help`. */
  readonly summary: string;
  /** Operand names for the usage line: "BUNDLE", "[DIRECTORY]" (optional), "NAME..." (one or more). */
  readonly operands: readonly string[];
  readonly options: readonly OptionSpec[];
  /** More lines for `modbundle help NAME`, after the options. */
  readonly details?: string;
  /** The options object the command's run takes; throws UsageError for a value it refuses. */
  parse(args: ParsedArgs, context: ToolContext): O;
  /** Loads the command's code (a dynamic import, so that other commands do not pay for it). */
  load(): Promise<(options: O) => number | Promise<number>>;
}

/** A subcommand with its option type erased, as the table of subcommands holds it. */
export interface Tool {
  readonly name: string;
  readonly summary: string;
  readonly operands: readonly string[];
  readonly options: readonly OptionSpec[];
  readonly details?: string;
  /** The command line after the subcommand's name to its options object, or to what -h or -V print. */
  parseArgs(args: readonly string[], context: ToolContext): ToolArgs<unknown>;
  run(args: readonly string[], context: ToolContext): Promise<number>;
}

/** What a subcommand's command line asks for. */
export type ToolArgs<O> = { readonly action: "print"; readonly text: string } | { readonly action: "run"; readonly options: O };

/** Every subcommand takes these, as every kmod tool does. */
const COMMON_OPTIONS: readonly OptionSpec[] = [
  { long: "version", short: "V", help: "show version" },
  { long: "help", short: "h", help: "show this help" },
];

export function defineTool<O>(spec: ToolSpec<O>): Tool {
  const parseArgs = (args: readonly string[], context: ToolContext): ToolArgs<O> => {
    const parsed = parseToolArgs(spec, args, context.env);
    if (parsed.has("help")) return { action: "print", text: toolUsage(spec) };
    if (parsed.has("version")) return { action: "print", text: VERSION_TEXT };
    return { action: "run", options: spec.parse(parsed, context) };
  };
  return {
    name: spec.name,
    summary: spec.summary,
    operands: spec.operands,
    options: spec.options,
    details: spec.details,
    parseArgs,
    run: async (args, context) => {
      const parsed = parseArgs(args, context);
      if (parsed.action === "print") {
        context.stdout(parsed.text);
        return 0;
      }
      const run = await spec.load();
      return run(parsed.options);
    },
  };
}

/** An argument error of subcommand `name`: one line, pointing at its usage. */
export function toolUsageError(name: string, message: string): UsageError {
  return new UsageError(`${name}: ${message} (see 'modbundle help ${name}')`);
}

function operandBounds(operands: readonly string[]): { min: number; max: number } {
  const min = operands.filter((o) => !o.startsWith("[")).length;
  const max = operands.some((o) => o.endsWith("...") || o.endsWith("...]")) ? Infinity : operands.length;
  return { min, max };
}

function parseToolArgs(spec: Pick<ToolSpec<unknown>, "name" | "operands" | "options">, args: readonly string[], env: NodeJS.ProcessEnv): ParsedArgs {
  const all = [...spec.options, ...COMMON_OPTIONS];
  const optstring = all.filter((o) => o.short).map((o) => `${o.short}${o.arg ? ":" : ""}`).join("");
  const longOptions: LongOption[] = all.map((o) => ({ name: o.long, hasArg: o.arg !== undefined, key: o.long }));
  const byShort = new Map(all.filter((o) => o.short).map((o) => [o.short as string, o.long]));
  const result = getopt(args, optstring, longOptions, env);
  const found = result.options.map((o) => ({ long: byShort.get(o.key) ?? o.key, value: o.value }));
  const parsed: ParsedArgs = {
    operands: result.operands,
    has: (long) => found.some((o) => o.long === long),
    value: (long) => found.filter((o) => o.long === long).pop()?.value,
    values: (long) => found.filter((o) => o.long === long).map((o) => o.value ?? ""),
  };
  // -h and -V win over everything else on the line, mistakes included, as in kmod's tools.
  if (parsed.has("help") || parsed.has("version")) return parsed;
  if (result.error !== undefined) throw toolUsageError(spec.name, result.error);
  const { min, max } = operandBounds(spec.operands);
  if (result.operands.length < min) {
    throw toolUsageError(spec.name, `missing ${spec.operands.filter((o) => !o.startsWith("["))[result.operands.length].replace(/\.\.\.$/, "")}`);
  }
  if (result.operands.length > max) throw toolUsageError(spec.name, `unexpected argument '${result.operands[max]}'`);
  return parsed;
}

/** kmod's help layout: the usage line, what the command does, its options. */
export function toolUsage(spec: Pick<ToolSpec<unknown>, "name" | "summary" | "operands" | "options" | "details">): string {
  const options = [...spec.options, ...COMMON_OPTIONS];
  const left = options.map((o) => `${o.short ? `-${o.short}, ` : "    "}--${o.long}${o.arg ? `=${o.arg}` : ""}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  const lines = [
    "Usage:",
    `\tmodbundle ${spec.name}${spec.options.length > 0 ? " [options]" : ""}${spec.operands.map((o) => ` ${o}`).join("")}`,
    `${spec.summary.charAt(0).toUpperCase()}${spec.summary.slice(1)}.`,
    "Options:",
    ...options.map((o, i) => `\t${left[i].padEnd(width)}${o.help}`),
  ];
  return `${lines.join("\n")}\n${spec.details ?? ""}`;
}
