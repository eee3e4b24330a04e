import { InfoError } from "./modinfo";

/**
 * Builtin modules' information from modules.builtin.modinfo ("module.key=value\0" strings), as
 * kmod_builtin_get_modinfo finds it: the first block of consecutive strings with the module's
 * prefix, each with the prefix removed. kmod reads a module's strings only where they are
 * contiguous, so entries of the same module further on are not part of it.
 *
 * Errors, as kmod's: no file is ENOENT (modinfo then shows only the name and filename), no block
 * of that name is ENOSYS, and a block cut short by an unterminated last string is EINVAL. A
 * string without a '.' ends the data (kmod logs and stops there).
 */
export class BuiltinModinfo {
  /** Per module, its first block (undefined: cut short by an unterminated string). */
  private readonly blocks = new Map<string, string[] | undefined>();

  constructor(private readonly file: Buffer | undefined) {
    if (file === undefined) return;
    let at = 0;
    let prefix: string | undefined;
    let current: string[] = [];
    while (at < file.length) {
      const end = file.indexOf(0, at);
      if (end < 0) {
        if (prefix !== undefined && this.blocks.get(prefix) === current) this.blocks.set(prefix, undefined);
        break;
      }
      const line = file.toString("latin1", at, end);
      at = end + 1;
      const dot = line.indexOf(".");
      if (dot < 0) break;
      if (line.slice(0, dot) !== prefix) {
        prefix = line.slice(0, dot);
        current = [];
        if (!this.blocks.has(prefix)) this.blocks.set(prefix, current);
      }
      current.push(line.slice(dot + 1));
    }
  }

  /** The module's "key=value" strings; an InfoError when kmod would fail. */
  strings(name: string): string[] {
    if (this.file === undefined) throw new InfoError("ENOENT");
    if (!this.blocks.has(name)) throw new InfoError("ENOSYS");
    const strings = this.blocks.get(name);
    if (strings === undefined) throw new InfoError("EINVAL");
    return strings;
  }
}
