import fs = require("node:fs");
import path = require("node:path");
import { ModbundleError, describeSystemError } from "../errors";
import { Bundle } from "../bundle/reader";
import { TEXT_INDEX_FILES, renderTextIndex } from "../index/text-files";

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

/** Creates each directory on the way, refusing to pass through a symbolic link. */
function makeParents(target: string, parts: readonly string[], where: string): string {
  let dir = target;
  for (const part of parts.slice(0, -1)) {
    dir = path.join(dir, part);
    let stat: fs.Stats | undefined;
    try {
      stat = fs.lstatSync(dir);
    } catch {
      stat = undefined;
    }
    if (!stat) {
      fs.mkdirSync(dir, 0o755);
    } else if (!stat.isDirectory()) {
      throw new ModbundleError("EUNSAFE", `${where}: ${dir} exists and is not a directory`);
    }
  }
  return path.join(dir, parts[parts.length - 1]);
}

function writeNew(file: string, data: Buffer | string, mode: number, mtime?: number): void {
  const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW;
  const fd = fs.openSync(file, flags, mode);
  try {
    fs.writeFileSync(fd, data);
    fs.fchmodSync(fd, mode);
    if (mtime !== undefined) fs.futimesSync(fd, mtime, mtime);
  } finally {
    fs.closeSync(fd);
  }
}

export interface UnpackResult {
  readonly files: number;
}

/** Restores every member byte for byte (checksums verified) plus kmod's text index files. */
export function unpack(bundle: Bundle, target: string): UnpackResult {
  const where = bundle.source.name;
  try {
    fs.mkdirSync(target, { recursive: true });
  } catch (error) {
    throw new ModbundleError("EIO", `${target}: ${describeSystemError(error)}`);
  }
  const { index } = bundle;
  let files = 0;
  bundle.prefetchMembers(Array.from({ length: index.memberCount }, (_, i) => index.member(i)), true);
  for (let i = 0; i < index.memberCount; i++) {
    const member = index.member(i);
    const parts = checkMemberPath(member.path, where);
    const header = bundle.readMemberHeader(member);
    const data = bundle.readMember(member);
    try {
      writeNew(makeParents(target, parts, where), data, header.mode & 0o7777, header.mtime);
    } catch (error) {
      if (error instanceof ModbundleError) throw error;
      throw new ModbundleError("EIO", `${path.join(target, member.path)}: ${describeSystemError(error)}`);
    }
    files++;
  }
  const moduleIndex = index.toModuleIndex();
  for (const name of TEXT_INDEX_FILES) {
    writeNew(path.join(target, name), Buffer.from(renderTextIndex(moduleIndex, name), "latin1"), 0o644);
    files++;
  }
  return { files };
}
