/**
 * Linux errnos that Node's os.constants.errno leaves out but the module syscalls return (module
 * signature checks). Values of the generic table, which every architecture above uses.
 */
const EXTRA_ERRNOS: Readonly<Record<string, number>> = { ENOPKG: 65, ENOKEY: 126, EKEYEXPIRED: 127, EKEYREVOKED: 128, EKEYREJECTED: 129 };

// Built on first use: they come from os.constants, and loading node:os would cost every command's
// start-up while most runs never name an errno.
let errnoNumbers: Readonly<Record<string, number>> | undefined;
let errnoNames: ReadonlyMap<number, string> | undefined;

function numbers(): Readonly<Record<string, number>> {
  return (errnoNumbers ??= { ...process.getBuiltinModule("node:os").constants.errno, ...EXTRA_ERRNOS });
}

/** For numbers with two names, the one Linux's own sources use. */
const PREFERRED_NAMES: readonly string[] = ["EAGAIN", "EOPNOTSUPP", "EDEADLK"];

function names(): ReadonlyMap<number, string> {
  if (errnoNames === undefined) {
    const table = new Map<number, string>();
    const byName = numbers();
    for (const name of PREFERRED_NAMES) table.set(byName[name], name);
    for (const [name, value] of Object.entries(byName)) if (!table.has(value)) table.set(value, name);
    errnoNames = table;
  }
  return errnoNames;
}

/** The errno's symbolic name ("ENOENT"), or "E<number>" for one this table does not know. */
export function errnoName(errno: number): string {
  return names().get(errno) ?? `E${errno}`;
}

/** The errno number of a name; EWOULDBLOCK and EAGAIN are both 11. Undefined when unknown. */
export function errnoNumber(name: string): number | undefined {
  return numbers()[name];
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
