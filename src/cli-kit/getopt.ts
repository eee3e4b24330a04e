/**
 * GNU getopt_long, as kmod's tools use it: short options from an optstring ("w:" takes an
 * argument), long options with unambiguous prefixes and "--name=value", arguments permuted so
 * that options may follow operands (unless POSIXLY_CORRECT is set or the optstring starts with
 * '+'), and "--" ending the options. Errors are glibc's messages, one line each.
 */
export interface LongOption {
  readonly name: string;
  readonly hasArg: boolean;
  /** What the parser reports: the short letter, or a name for long-only options. */
  readonly key: string;
}

export interface ParsedOption {
  readonly key: string;
  readonly value?: string;
}

export interface GetoptResult {
  readonly options: ParsedOption[];
  readonly operands: string[];
  /** glibc's complaint, e.g. "invalid option -- 'x'", without the program name. */
  readonly error?: string;
}

export function getopt(args: readonly string[], optstring: string, longOptions: readonly LongOption[], env: NodeJS.ProcessEnv = process.env): GetoptResult {
  const inOrder = optstring.startsWith("+") || env.POSIXLY_CORRECT !== undefined;
  const shortSpec = optstring.replace(/^[+-]/, "");
  const options: ParsedOption[] = [];
  const operands: string[] = [];
  const takesArg = (c: string): boolean | undefined => {
    const at = shortSpec.indexOf(c);
    if (at < 0 || c === ":") return undefined;
    return shortSpec[at + 1] === ":";
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const exact = longOptions.find((o) => o.name === name);
      const candidates = exact ? [exact] : longOptions.filter((o) => o.name.startsWith(name));
      const distinct = new Set(candidates.map((o) => `${o.key}/${o.hasArg}`));
      if (candidates.length === 0) return { options, operands, error: `unrecognized option '--${name}'` };
      if (distinct.size > 1) {
        return { options, operands, error: `option '--${name}' is ambiguous; possibilities:${candidates.map((o) => ` '--${o.name}'`).join("")}` };
      }
      const option = candidates[0];
      if (option.hasArg) {
        if (eq >= 0) options.push({ key: option.key, value: arg.slice(eq + 1) });
        else if (i + 1 < args.length) options.push({ key: option.key, value: args[++i] });
        else return { options, operands, error: `option '--${option.name}' requires an argument` };
      } else {
        if (eq >= 0) return { options, operands, error: `option '--${option.name}' doesn't allow an argument` };
        options.push({ key: option.key });
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const c = arg[j];
        const hasArg = takesArg(c);
        if (hasArg === undefined) return { options, operands, error: `invalid option -- '${c}'` };
        if (!hasArg) {
          options.push({ key: c });
          continue;
        }
        if (j + 1 < arg.length) options.push({ key: c, value: arg.slice(j + 1) });
        else if (i + 1 < args.length) options.push({ key: c, value: args[++i] });
        else return { options, operands, error: `option requires an argument -- '${c}'` };
        break;
      }
      continue;
    }
    if (inOrder) {
      operands.push(...args.slice(i));
      break;
    }
    operands.push(arg);
  }
  return { options, operands };
}
