import { ModbundleError } from "../errors";

/** kmod's message format: "<prog>: <LEVEL>: <message>", one line each. */
export function logLine(prog: string, level: "FATAL" | "ERROR" | "WARNING" | "NOTICE" | "INFO" | "DEBUG", message: string): void {
  for (const line of message.split("\n")) process.stderr.write(`${prog}: ${level}: ${line}\n`);
}

/** Writes byte strings (latin1) to stdout unchanged. */
export function writeOut(text: string): void {
  process.stdout.write(Buffer.from(text, "latin1"));
}

export class UsageError extends ModbundleError {
  constructor(message: string) {
    super("EUSAGE", message);
  }
}
