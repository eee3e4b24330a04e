import fs = require("node:fs");
import path = require("node:path");
import { ModbundleError, describeSystemError } from "../errors";
import { createExclusive } from "../io/exclusive";
import { Bundle } from "../bundle/reader";
import { SAFE_MODE_BITS } from "../bundle/verify";
import { renderIndexFiles } from "../index/index-files";

/**
 * A member path is accepted only when it is relative, has no empty, "." or ".." component and no
 * backslash: nothing in a bundle can name a place outside the target directory.
 */
export function checkMemberPath(memberPath: string, where: string): string[] {
  const parts = memberPath.split("/");
  if (memberPath === "" || memberPath.startsWith("/") || memberPath.includes("\\") || memberPath.includes("\0") ||
      parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new ModbundleError("EUNSAFE", `${where}: refusing unsafe member path "${memberPath}"`);
  }
  return parts;
}

/**
 * Writes below one directory so that nothing someone else prepares in it can redirect a write:
 * Node has no openat(), so the process's working directory stands in for a directory file
 * descriptor. Each step into a directory is made as: mkdir(NAME) (EEXIST is fine), open(NAME,
 * O_DIRECTORY|O_NOFOLLOW) (a symbolic link fails here), chdir(NAME), then the identity (st_dev,
 * st_ino) of "." must equal that of the descriptor opened without following links, or unpack stops
 * before writing anything. A directory swapped for a link between the open and the chdir is caught
 * by that comparison; one swapped after it no longer matters, since the working directory is the
 * inode itself and every later name is resolved from it, one component at a time (files are
 * created as a bare NAME, exclusively, without following links). Hence no check-then-use on any
 * parent: the check is of the very directory the writes then go to.
 */
class ConfinedWriter {
  private readonly original = process.cwd();
  private readonly rootIdentity: string;
  /** The components of the working directory below the root, or undefined when elsewhere. */
  private current: string[] | undefined;

  constructor(
    private readonly root: string,
    private readonly where: string,
    private readonly replace: boolean,
  ) {
    this.rootIdentity = identityOfDirectory(root, root, false);
  }

  /** Creates `parts` (directories, then a file) below the root with the data, mode and time given. */
  writeFile(parts: readonly string[], data: Buffer | string, mode: number, mtime?: number): void {
    this.enter(parts.slice(0, -1));
    const name = parts[parts.length - 1];
    const fd = this.createFile(name, parts);
    try {
      fs.writeFileSync(fd, data);
      fs.fchmodSync(fd, mode);
      if (mtime !== undefined) fs.futimesSync(fd, mtime, mtime);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Back to the working directory the process had. */
  close(): void {
    process.chdir(this.original);
    this.current = undefined;
  }

  private enter(dirs: readonly string[]): void {
    const current = this.current;
    if (current && current.length === dirs.length && current.every((part, i) => part === dirs[i])) return;
    this.current = undefined;
    process.chdir(this.root);
    if (identityOf(fs.statSync(".")) !== this.rootIdentity) throw this.unsafe(this.root, "was replaced while unpacking");
    for (const [i, part] of dirs.entries()) {
      const shown = path.join(this.root, ...dirs.slice(0, i + 1));
      try {
        fs.mkdirSync(part, 0o755);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const identity = identityOfDirectory(part, shown, true);
      process.chdir(part);
      if (identityOf(fs.statSync(".")) !== identity) throw this.unsafe(shown, "was replaced while unpacking");
    }
    this.current = [...dirs];
  }

  private createFile(name: string, parts: readonly string[]): number {
    const shown = path.join(this.root, ...parts);
    for (let attempt = 0; ; attempt++) {
      try {
        return createExclusive(name, 0o600);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw error;
      }
      // Something holds the name: a file of an earlier unpack, or a link planted there. Only with
      // --force is the name removed (unlink removes the name, never what a link points to; a hard
      // link's other names keep their contents and mode) and the file created anew.
      const stat = fs.lstatSync(name);
      if (stat.isDirectory()) throw this.unsafe(shown, "exists and is a directory");
      if (!this.replace) throw this.unsafe(shown, "already exists (unpack --force replaces files)");
      fs.unlinkSync(name);
    }
  }

  private unsafe(file: string, what: string): ModbundleError {
    return new ModbundleError("EUNSAFE", `${this.where}: ${file} ${what}`);
  }
}

function identityOf(stat: fs.Stats): string {
  return `${stat.dev}:${stat.ino}`;
}

/** The identity of the directory `name` names, opened without blocking (and with noFollow, without following a link). */
function identityOfDirectory(name: string, shown: string, noFollow: boolean): string {
  const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;
  let fd: number;
  try {
    fd = fs.openSync(name, O_RDONLY | O_DIRECTORY | (noFollow ? O_NOFOLLOW : 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || code === "ENOTDIR") throw new ModbundleError("EUNSAFE", `${shown} exists and is not a directory`);
    throw error;
  }
  try {
    return identityOf(fs.fstatSync(fd));
  } finally {
    fs.closeSync(fd);
  }
}

export interface UnpackResult {
  readonly files: number;
}

/**
 * Restores every member byte for byte (checksums verified) plus depmod's index files (text and
 * .bin, so that kmod's own tools work on the tree as it is), as
 * regular files and directories only (see ConfinedWriter), with the tree's permission bits less
 * setuid, setgid, sticky and world-writable. Existing files are refused unless `replace`.
 */
export function unpack(bundle: Bundle, target: string, options: { readonly replace?: boolean } = {}): UnpackResult {
  const where = bundle.source.name;
  const root = path.resolve(target);
  try {
    fs.mkdirSync(root, { recursive: true });
  } catch (error) {
    throw new ModbundleError("EIO", `${target}: ${describeSystemError(error)}`);
  }
  const { index } = bundle;
  let files = 0;
  bundle.prefetchMembers(Array.from({ length: index.memberCount }, (_, i) => index.member(i)), true);
  let writer: ConfinedWriter | undefined;
  const write = (relpath: string, parts: readonly string[], data: Buffer | string, mode: number, mtime?: number): void => {
    try {
      writer ??= new ConfinedWriter(root, where, options.replace === true);
      writer.writeFile(parts, data, mode, mtime);
    } catch (error) {
      if (error instanceof ModbundleError) throw error;
      throw new ModbundleError("EIO", `${path.join(target, relpath)}: ${describeSystemError(error)}`);
    }
  };
  const lists = new Map<string, Buffer>();
  try {
    for (let i = 0; i < index.memberCount; i++) {
      const member = index.member(i);
      const parts = checkMemberPath(member.path, where);
      // The header must agree with the index (same name, a regular file of the same size): a
      // hand-made archive's symbolic links, devices, FIFOs or renamed members are refused there.
      const header = bundle.readMemberHeader(member);
      const data = bundle.readMember(member);
      if (member.path === "modules.builtin" || member.path === "modules.builtin.modinfo") lists.set(member.path, data);
      write(member.path, parts, data, header.mode & SAFE_MODE_BITS, header.mtime);
      files++;
    }
    for (const { name, data } of renderIndexFiles(index.toModuleIndex(), { modulesBuiltin: lists.get("modules.builtin"), modulesBuiltinModinfo: lists.get("modules.builtin.modinfo") })) {
      write(name, [name], data, 0o644);
      files++;
    }
  } finally {
    writer?.close();
  }
  return { files };
}
