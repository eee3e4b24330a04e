/**
 * Byte strings: the kmod commands (modprobe, insmod, rmmod, lsmod, modinfo, coldplug) carry
 * arguments, environment values, configuration text, module names, parameters, paths and shell
 * commands as JS strings whose every character is one byte (char codes 0..255, Node's "latin1"),
 * because kmod passes bytes through untouched and so must they: 'a=é' given in UTF-8 is the four
 * characters a, =, \xc3, \xa9, and an invalid sequence such as \xff survives as \xff. Text is
 * decoded nowhere; it becomes bytes again only at the edges: a Buffer for the file system and the
 * kernel, latin1 for standard output and error, and runShell (cli-kit/shell) for /bin/sh.
 *
 * JS text from elsewhere (API callers, Node's own strings such as process.cwd()) is UTF-8 encoded
 * into a byte string once, where it enters, with byteStringOf.
 */
export function byteStringOf(text: string): string {
  // eslint-disable-next-line no-control-regex -- ASCII, control characters included
  return /^[\x00-\x7f]*$/.test(text) ? text : Buffer.from(text, "utf8").toString("latin1");
}

/** The bytes of a byte string: for file system calls, which would otherwise encode it as UTF-8. */
export function bytesOf(bytes: string): Buffer {
  return Buffer.from(bytes, "latin1");
}

/** A path for node:fs: Node's text (encoded as UTF-8), or exact bytes (kmod commands: bytesOf). */
export type FsPath = string | Buffer;

/** A path as messages name it: a Buffer's bytes as a byte string. */
export function pathName(file: FsPath): string {
  return typeof file === "string" ? file : file.toString("latin1");
}

/**
 * The JS text a byte string holds when it is well-formed UTF-8 (Node then encodes it back to the
 * same bytes, e.g. in a child's arguments), else undefined.
 */
export function utf8TextOf(bytes: string): string | undefined {
  const buffer = bytesOf(bytes);
  const text = buffer.toString("utf8");
  return Buffer.from(text, "utf8").equals(buffer) ? text : undefined;
}
