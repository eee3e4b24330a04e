import { ModbundleError } from "../errors";
import { flushStdout, writeStderr, writeStdout } from "./stdio";
import { escapeControls } from "../util/escape";

/** kmod's message format: "<prog>: <LEVEL>: <message>", one line each. */
export type LogLevel = "FATAL" | "ERROR" | "WARNING" | "NOTICE" | "INFO" | "DEBUG";

/**
 * The lines of a message, controls escaped for the encoding they will be written in: written as
 * UTF-8, a character U+0080..U+009F is itself a C1 control.
 */
export function logText(prog: string, level: LogLevel, message: string, encoding: "utf8" | "latin1" = "latin1"): string {
  return escapeControls(message, { keepNewlines: true, writtenAsUtf8: encoding === "utf8" }).split("\n").map((line) => `${prog}: ${level}: ${line}\n`).join("");
}

export function logLine(prog: string, level: LogLevel, message: string, encoding: "utf8" | "latin1" = "utf8"): void {
  writeStderr(logText(prog, level, message, encoding), encoding);
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
