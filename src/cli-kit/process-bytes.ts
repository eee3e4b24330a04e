import fs = require("node:fs");
import { byteStringOf } from "../util/bytes";

/**
 * The process's arguments and environment as byte strings (util/bytes). Node decodes both as
 * UTF-8: what was well-formed comes back exactly when encoded again, what was not became U+FFFD.
 * Only then are the bytes read where the kernel keeps them, /proc/self/cmdline and
 * /proc/self/environ, so that a start with plain arguments reads nothing more. Node's own view
 * still decides what is there (the program may have changed process.env, an embedder may pass
 * other arguments): a value from /proc is taken only where it decodes to Node's; otherwise, and
 * when /proc is not there, Node's value is UTF-8 encoded, losing only what Node lost.
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

/** Whether `bytes` decode to Node's `text` (however many U+FFFD each ill-formed run became). */
function agrees(bytes: string, text: string): boolean {
  const collapse = (s: string): string => s.replace(/\ufffd+/g, REPLACEMENT);
  return collapse(Buffer.from(bytes, "latin1").toString("utf8")) === collapse(text);
}

/** `args` (the tail of process.argv: what follows the program) as the bytes they were given as. */
export function argumentBytes(args: readonly string[], cmdlineFile = "/proc/self/cmdline"): string[] {
  if (!args.some((arg) => arg.includes(REPLACEMENT))) return args.map(byteStringOf);
  const all = nulSeparated(cmdlineFile);
  // cmdline holds node, its own options and the script's path before them: its tail is ours.
  const tail = all !== undefined && all.length >= args.length ? all.slice(all.length - args.length) : undefined;
  if (tail !== undefined && tail.every((bytes, i) => agrees(bytes, args[i]))) return tail;
  return args.map(byteStringOf);
}

/** `env` (process.env) seen with each value the bytes it was given as; read as it is used. */
export function environmentBytes(env: NodeJS.ProcessEnv, environFile = "/proc/self/environ"): NodeJS.ProcessEnv {
  let given: Map<string, string> | undefined;
  const bytesOf = (name: string, value: string): string => {
    if (!value.includes(REPLACEMENT)) return byteStringOf(value);
    if (given === undefined) {
      given = new Map();
      for (const entry of nulSeparated(environFile) ?? []) {
        const eq = entry.indexOf("=");
        if (eq > 0) given.set(Buffer.from(entry.slice(0, eq), "latin1").toString("utf8"), entry.slice(eq + 1));
      }
    }
    const bytes = given.get(name);
    return bytes !== undefined && agrees(bytes, value) ? bytes : byteStringOf(value);
  };
  return new Proxy(env, {
    get: (target, name) => {
      const value: unknown = Reflect.get(target, name);
      return typeof name === "string" && typeof value === "string" ? bytesOf(name, value) : value;
    },
    getOwnPropertyDescriptor: (target, name) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(target, name);
      if (descriptor === undefined || typeof name !== "string" || typeof descriptor.value !== "string") return descriptor;
      return { ...descriptor, value: bytesOf(name, descriptor.value) };
    },
  });
}
