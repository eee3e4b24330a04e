import { ModbundleError } from "../errors";
import { flushStdout, writeStderr, writeStdout } from "./stdio";

/** kmod's message format: "<prog>: <LEVEL>: <message>", one line each. */
export function logLine(prog: string, level: "FATAL" | "ERROR" | "WARNING" | "NOTICE" | "INFO" | "DEBUG", message: string): void {
  writeStderr(message.split("\n").map((line) => `${prog}: ${level}: ${line}\n`).join(""), "utf8");
}

/**
 * Writes byte strings (latin1) to stdout unchanged, at once: the bundle tools live in a file of
 * their own, with their own copy of stdio's buffer, which the dispatcher does not flush.
 */
export function writeOut(text: string): void {
  writeStdout(text);
  flushStdout();
}

export class UsageError extends ModbundleError {
  constructor(message: string) {
    super("EUSAGE", message);
  }
}
