import { ConfigSoftdep, MutableConfig } from "./types";

/**
 * One modprobe.d file, parsed as libkmod-config.c does: "\" + newline joins lines (a "\" before
 * any other character is dropped), '#' starts a comment line, tokens are separated by spaces
 * and tabs, module names have '-' turned into '_' outside brackets. Bad lines are reported
 * through `warn` with the file and the (last physical) line number, and skipped.
 */
export type Warn = (message: string) => void;

/** kmod's underscores(): '-' -> '_' outside [...]; undefined for an unmatched bracket. */
export function underscores(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "-") out += "_";
    else if (c === "]") return undefined;
    else if (c === "[") {
      const close = s.indexOf("]", i);
      if (close < 0) return undefined;
      out += s.slice(i, close);
      i = close - 1;
    } else out += c;
  }
  return out;
}

/** Logical lines with the number of the physical line each ends on. */
export function readWrappedLines(text: string): Array<{ line: string; lineNumber: number }> {
  if (!text.includes("\\")) {
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    return lines.map((line, i) => ({ line, lineNumber: i + 1 }));
  }
  const out: Array<{ line: string; lineNumber: number }> = [];
  let current = "";
  let lineNumber = 0;
  let pending = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") {
      lineNumber += pending + 1;
      pending = 0;
      out.push({ line: current, lineNumber });
      current = "";
    } else if (c === "\\") {
      const next = text[i + 1];
      i++;
      if (next === "\n") pending++;
      else if (next !== undefined) current += next;
    } else {
      current += c;
    }
  }
  if (current !== "") out.push({ line: current, lineNumber: lineNumber + pending + 1 });
  return out;
}

/**
 * strtok_r over one line with " \t" as kmod's parser calls it, by positions rather than by
 * slicing off the rest at each call (every softdep line of the bundle is parsed at start-up).
 */
class LineTokens {
  /** Where the unread rest starts: one separator past the last token taken. */
  private at = 0;

  constructor(private readonly line: string) {}

  /** The next token, or undefined (and nothing left) when only separators remain. */
  next(): string | undefined {
    const line = this.line;
    let start = this.at;
    while (start < line.length && isBlank(line.charCodeAt(start))) start++;
    if (start === line.length) {
      this.at = line.length;
      return undefined;
    }
    let end = start;
    while (end < line.length && !isBlank(line.charCodeAt(end))) end++;
    this.at = end < line.length ? end + 1 : end;
    return line.slice(start, end);
  }

  /** The rest as strtok_r(NULL, "\0") gives it: undefined when nothing is left. */
  rest(): string | undefined {
    return this.at < this.line.length ? this.line.slice(this.at) : undefined;
  }
}

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** The separators kmod splits a softdep or weakdep value at (" \t\n\v\f\r"). */
function isSeparator(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/** The value's tokens, split at runs of separators (one loop: modprobe parses every softdep line at start-up). */
function valueTokens(value: string): string[] {
  const tokens: string[] = [];
  let at = 0;
  while (at < value.length) {
    while (at < value.length && isSeparator(value.charCodeAt(at))) at++;
    const start = at;
    while (at < value.length && !isSeparator(value.charCodeAt(at))) at++;
    if (at > start) tokens.push(value.slice(start, at));
  }
  return tokens;
}

/**
 * kmod_config_add_softdep: tokens after "pre:" go to pre, after "post:" to post, others are
 * ignored. The -c text reproduces softdep_to_char, which prints the span of the token buffer
 * from the first to the last pre token (and likewise for post), with no space before "post:".
 */
export function parseSoftdep(module: string, line: string): ConfigSoftdep {
  // The pre and post names in order, each with its mode (the spans of -c's text cross modes).
  const names: string[] = [];
  const isPre: boolean[] = [];
  const pre: string[] = [];
  const post: string[] = [];
  let mode: "none" | "pre" | "post" = "none";
  for (const token of valueTokens(line)) {
    if (token === "pre:") mode = "pre";
    else if (token === "post:") mode = "post";
    else if (mode !== "none") {
      names.push(token);
      isPre.push(mode === "pre");
      (mode === "pre" ? pre : post).push(token);
    }
  }
  const span = (wantPre: boolean): string => {
    const first = isPre.indexOf(wantPre);
    return first < 0 ? "" : names.slice(first, isPre.lastIndexOf(wantPre) + 1).join(" ");
  };
  const preText = span(true);
  const postText = span(false);
  return { module, pre, post, text: (preText ? `pre: ${preText}` : "") + (postText ? `post: ${postText}` : "") };
}

export function parseConfigFile(config: MutableConfig, text: string, filename: string, warn: Warn): void {
  const lines = readWrappedLines(text);
  for (let i = 0; i < lines.length; i++) {
    const { line, lineNumber } = lines[i];
    if (line === "" || line.startsWith("#")) continue;
    const tokens = new LineTokens(line);
    const command = tokens.next();
    if (command === undefined) continue;
    const first = tokens.next();
    switch (command) {
      case "alias": {
        const pattern = underscores(first);
        const module = underscores(tokens.next());
        if (pattern === undefined || module === undefined) warnBadLine(warn, filename, lineNumber, command);
        else config.aliases.push({ pattern, module });
        break;
      }
      case "blacklist": {
        const module = underscores(first);
        if (module === undefined) warnBadLine(warn, filename, lineNumber, command);
        else config.blacklists.push(module);
        break;
      }
      case "options":
      case "install":
      case "remove":
      case "softdep":
      case "weakdep": {
        const module = underscores(first);
        const value = tokens.rest();
        if (module === undefined || value === undefined) {
          warnBadLine(warn, filename, lineNumber, command);
        } else if (command === "options") {
          config.options.push({ module, options: value.replace(/\t/g, " ") });
        } else if (command === "install") {
          config.installs.push({ module, command: value });
        } else if (command === "remove") {
          config.removes.push({ module, command: value });
        } else if (command === "softdep") {
          config.softdeps.push(parseSoftdep(module, value));
        } else {
          config.weakdeps.push({ module, deps: valueTokens(value) });
        }
        break;
      }
      case "include":
      case "config":
        warn(`${filename}: command ${command} is deprecated and not parsed anymore`);
        break;
      default:
        warnBadLine(warn, filename, lineNumber, command);
    }
  }
}

function warnBadLine(warn: Warn, filename: string, lineNumber: number, command: string): void {
  warn(`${filename} line ${lineNumber}: ignoring bad line starting with '${command}'`);
}
