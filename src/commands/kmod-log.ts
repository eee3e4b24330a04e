import { CommandIO } from "./io";

/**
 * kmod's tools/log.c: "<prog>: <LEVEL>: <message>" on stderr (or syslog with -s), shown when the
 * message's priority is within the threshold. A message at LOG_CRIT ("FATAL") ends the program
 * with status 1, which here is the FatalExit exception that the command turns into its exit
 * status; below the threshold (-q) nothing is printed and nothing ends.
 */
export const LOG_CRIT = 2;
export const LOG_ERR = 3;
export const LOG_WARNING = 4;
export const LOG_NOTICE = 5;
export const LOG_INFO = 6;
export const LOG_DEBUG = 7;

const NAMES: Record<number, string> = { 2: "FATAL", 3: "ERROR", 4: "WARNING", 5: "NOTICE", 6: "INFO", 7: "DEBUG" };

export class FatalExit extends Error {
  constructor() {
    super("fatal");
    this.name = "FatalExit";
  }
}

export class KmodLogger {
  constructor(
    private readonly io: CommandIO,
    readonly threshold: number,
    private readonly useSyslog: boolean,
  ) {}

  log(priority: number, message: string): void {
    if (priority > this.threshold) return;
    const name = NAMES[priority] ?? `LOG-${String(priority).padStart(3, "0")}`;
    if (this.useSyslog) {
      const { spawnSync } = process.getBuiltinModule("node:child_process");
      const sent = spawnSync("logger", ["-t", this.io.prog, "-p", `daemon.${["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"][priority] ?? "info"}`, `${name}: ${message}`]);
      if (sent.status !== 0) this.io.stderr(`${this.io.prog}: ${name}: ${message}\n`);
    } else {
      this.io.stderr(`${this.io.prog}: ${name}: ${message}\n`);
    }
    if (priority <= LOG_CRIT) throw new FatalExit();
  }

  error(message: string): void {
    this.log(LOG_ERR, message);
  }

  warning(message: string): void {
    this.log(LOG_WARNING, message);
  }
}

/** strerror(3) text for an errno name, as glibc words it. */
export function strerror(code: string): string {
  return STRERROR[code] ?? code;
}

const STRERROR: Record<string, string> = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  ESRCH: "No such process",
  EINTR: "Interrupted system call",
  EIO: "Input/output error",
  ENXIO: "No such device or address",
  E2BIG: "Argument list too long",
  ENOEXEC: "Exec format error",
  EBADF: "Bad file descriptor",
  EAGAIN: "Resource temporarily unavailable",
  EWOULDBLOCK: "Resource temporarily unavailable",
  ENOMEM: "Cannot allocate memory",
  EACCES: "Permission denied",
  EFAULT: "Bad address",
  EBUSY: "Device or resource busy",
  EEXIST: "File exists",
  ENODEV: "No such device",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EINVAL: "Invalid argument",
  ENFILE: "Too many open files in system",
  EMFILE: "Too many open files",
  ETXTBSY: "Text file busy",
  EFBIG: "File too large",
  ENOSPC: "No space left on device",
  EROFS: "Read-only file system",
  ERANGE: "Numerical result out of range",
  ENOSYS: "Function not implemented",
  ENODATA: "No data available",
  ENOTSUP: "Operation not supported",
  EOPNOTSUPP: "Operation not supported",
  ETIMEDOUT: "Connection timed out",
  EKEYREJECTED: "Key was rejected by service",
  EKEYEXPIRED: "Key has expired",
  EKEYREVOKED: "Key has been revoked",
  ENOKEY: "Required key not available",
  EBADMSG: "Bad message",
  EOVERFLOW: "Value too large for defined data type",
  ENOTEMPTY: "Directory not empty",
};
