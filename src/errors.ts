import { strerror } from "./util/errno";

/**
 * Every failure that reaches the user is a ModbundleError: a stable code for tests and scripts,
 * and a one-line message in kmod's style. Only the CLI's main() turns it into output and an exit
 * status; library code never prints or exits.
 */
export type ErrorCode =
  | "EUSAGE" // bad command line
  | "EIO" // a read or write failed
  | "EBUNDLE" // a bundle is malformed, truncated or of an unknown version
  | "ECHECKSUM" // a member's bytes do not match the checksum in the index
  | "EELF" // a module file is not a valid ELF object
  | "ECOMPRESS" // a compressed member could not be decoded or encoded
  | "ECYCLE" // modules depend on each other in a cycle
  | "ETREE" // a module directory is missing or unusable
  | "EUNSAFE"; // a path would escape its target directory

const MODBUNDLE_ERROR = Symbol.for("modbundle.error");

export class ModbundleError extends Error {
  readonly code: ErrorCode;
  readonly [MODBUNDLE_ERROR] = true;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "ModbundleError";
    this.code = code;
  }

  // Each command is bundled into its own file with its own copy of this class; the brand makes
  // `instanceof` hold across those copies.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[MODBUNDLE_ERROR] === true;
  }
}

const KERNEL_ERROR = Symbol.for("modbundle.kernel-error");

/** A failed system call (kernel/kernel.ts re-exports it): the errno's name and number, e.g. ENOENT / 2. */
export class KernelError extends Error {
  readonly [KERNEL_ERROR] = true;

  // Branded like ModbundleError, so that `instanceof` holds across separately bundled commands.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[KERNEL_ERROR] === true;
  }

  constructor(
    readonly code: string,
    readonly errno: number,
    message: string,
  ) {
    super(message);
    this.name = "KernelError";
  }
}

export function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string";
}

/**
 * "No such file or directory" for ENOENT and so on, as strerror(3) says it (Node's own texts are
 * libuv's: "i/o error", "illegal operation on a directory"), without Node's ", write" or
 * ", open '/path'" suffix: the caller names the file the user gave.
 */
export function describeSystemError(error: unknown): string {
  if (isErrnoException(error)) {
    // Only for a system call's error (Node's words, "EIO: i/o error, write"); one made here keeps its own.
    const known = strerror(error.code as string);
    if (error.syscall !== undefined && known !== error.code) return known;
    const text = error.message.replace(/^[A-Z0-9_]+: /, "").replace(/, \w+( '.*')?$/, "");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
  return error instanceof Error ? error.message : String(error);
}
