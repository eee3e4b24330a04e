import { utf8TextOf } from "../util/bytes";

/**
 * How an install or remove command reaches /bin/sh with exactly its bytes, as kmod's system()
 * passes them. Node encodes a child's arguments and environment as UTF-8, so a byte string
 * (util/bytes) that is well-formed UTF-8 is handed over as the text it holds, which Node encodes
 * back to the same bytes: `sh -c COMMAND`, as kmod runs it. Bytes that are not UTF-8 (\xe9 from a
 * latin1 modprobe.d, say) cannot go through Node at all; those are written into the script in
 * ASCII, as octal escapes that the shell's printf turns back into the bytes: the variable is set
 * and exported, or the command run through eval, before anything else runs.
 */
export interface ShellInvocation {
  readonly args: readonly string[];
  readonly env: Record<string, string>;
}

const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A single-quoted printf format whose output is exactly `bytes`. */
function printfFormat(bytes: string): string {
  let format = "";
  for (let i = 0; i < bytes.length; i++) {
    const code = bytes.charCodeAt(i);
    // A leading "-" would be read as an option of printf.
    const plain = code >= 0x20 && code < 0x7f && code !== 0x25 /* % */ && code !== 0x5c /* \ */ && code !== 0x27 /* ' */ && !(i === 0 && code === 0x2d);
    format += plain ? bytes[i] : `\\${code.toString(8).padStart(3, "0")}`;
  }
  return `'${format}'`;
}

export function shellInvocation(command: string, env: Readonly<Record<string, string | undefined>>): ShellInvocation {
  const childEnv: Record<string, string> = {};
  let prelude = "";
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const nameText = utf8TextOf(name);
    const valueText = utf8TextOf(value);
    if (nameText !== undefined && valueText !== undefined) {
      childEnv[nameText] = valueText;
    } else if (SHELL_NAME.test(name)) {
      // The "_" keeps trailing newlines from the command substitution, which would strip them.
      prelude += `${name}=$(printf ${printfFormat(value)}_); ${name}=\${${name}%_}; export ${name}\n`;
    }
    // A name that is neither UTF-8 nor a shell name cannot be set from here: left out.
  }
  const commandText = utf8TextOf(command);
  const script = commandText !== undefined ? commandText : `eval "$(printf ${printfFormat(command)})"`;
  return { args: ["-c", prelude + script], env: childEnv };
}
