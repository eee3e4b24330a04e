import fs = require("node:fs");
import crypto = require("node:crypto");
import path = require("node:path");

/**
 * Files created where someone else may have prepared the path (a shared directory, a tree being
 * unpacked into): O_CREAT|O_EXCL fails with EEXIST on any existing name, a symbolic or hard link
 * included, so the file opened is always one this call created; O_NOFOLLOW makes the same hold
 * should O_EXCL ever be dropped. Writes then go to that file descriptor only.
 */
export function createExclusive(file: string, mode: number): number {
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  return fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
}

const TEMPORARY_TAG = "modbundle";

/**
 * Beside `target`: ".NAME.modbundle-PID-RANDOM.tmp". The random part makes the name impossible to
 * prepare in advance; the PID lets a later run tell a dead writer's leftover (removeStaleTemporaries).
 */
export function temporaryPathFor(target: string): string {
  const dir = path.dirname(path.resolve(target));
  return path.join(dir, `.${path.basename(target)}.${TEMPORARY_TAG}-${process.pid}-${crypto.randomBytes(8).toString("hex")}.tmp`);
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/**
 * Removes the temporaries that writers to `target` left when they were killed: those whose PID no
 * longer runs, and that are regular files owned by us. A live writer's file is left alone (two
 * packs to one target each finish with an atomic rename: the target is always one whole bundle).
 * unlink removes a name, never what a planted link points to. Names are matched exactly, so nothing
 * else in the directory is touched. (O_TMPFILE would leave no name at all, but Node cannot linkat()
 * such a file into place, and a link cannot replace the target atomically as rename does.)
 */
export function removeStaleTemporaries(target: string): void {
  const dir = path.dirname(path.resolve(target));
  const pattern = new RegExp(`^\\.${escapeRegExp(path.basename(target))}\\.${TEMPORARY_TAG}-(\\d+)-[0-9a-f]{16}\\.tmp$`);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return; // the writer's own open reports an unusable directory
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match || processExists(Number(match[1]))) continue;
    const file = path.join(dir, name);
    try {
      const stat = fs.lstatSync(file);
      if (stat.isFile() && (uid === undefined || stat.uid === uid)) fs.unlinkSync(file);
    } catch {
      // gone already, or not ours to remove
    }
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
