import fs = require("node:fs");
import { byteStringOf } from "../util/bytes";

/**
 * The process's arguments and environment as byte strings (util/bytes). Node decodes both as
 * UTF-8 and replaces what is not UTF-8 with U+FFFD, so the bytes are read where the kernel keeps
 * them, /proc/self/cmdline and /proc/self/environ. Node's own view decides what is there (the
 * program may have changed process.env, an embedder may pass other arguments): a byte string is
 * taken only where it decodes to Node's value, or where Node's value lost bytes (holds U+FFFD);
 * anything else, and everything when /proc is not there, is Node's value UTF-8 encoded.
 */
const REPLACEMENT = "\ufffd";

function nulSeparated(file: string): string[] | undefined {
  try {
    const data = fs.readFileSync(file, "latin1");
    return (data.endsWith("\0") ? data.slice(0, -1) : data).split("\0");
  } catch {
    return undefined;
  }
}

function agrees(bytes: string, text: string): boolean {
  return text.includes(REPLACEMENT) || Buffer.from(bytes, "latin1").toString("utf8") === text;
}

/** `args` (the tail of process.argv: what follows the program) as the bytes they were given as. */
export function argumentBytes(args: readonly string[], cmdlineFile = "/proc/self/cmdline"): string[] {
  const all = nulSeparated(cmdlineFile);
  if (args.length === 0) return [];
  // cmdline holds node's own options and the script's path before them: its tail is ours.
  const tail = all !== undefined && all.length >= args.length ? all.slice(all.length - args.length) : undefined;
  if (tail !== undefined && tail.every((bytes, i) => agrees(bytes, args[i]))) return tail;
  return args.map(byteStringOf);
}

/** `env` (process.env) with each value the bytes it was given as. */
export function environmentBytes(env: NodeJS.ProcessEnv, environFile = "/proc/self/environ"): NodeJS.ProcessEnv {
  const given = new Map<string, string>();
  for (const entry of nulSeparated(environFile) ?? []) {
    const eq = entry.indexOf("=");
    if (eq > 0) given.set(Buffer.from(entry.slice(0, eq), "latin1").toString("utf8"), entry.slice(eq + 1));
  }
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const bytes = given.get(name);
    out[byteStringOf(name)] = bytes !== undefined && agrees(bytes, value) ? bytes : byteStringOf(value);
  }
  return out;
}
