import { moduleNameFromPath, normalizeAlias } from "../util/modname";
import { IndexAlias } from "./types";

/** modules.builtin: one path per line; the names, normalised, sorted, unique. */
export function parseBuiltinList(text: string | undefined): string[] {
  if (text === undefined) return [];
  const names = new Set<string>();
  for (const line of text.split("\n")) {
    if (line !== "") names.add(moduleNameFromPath(line));
  }
  return [...names].sort();
}

export interface BuiltinModinfo {
  /** Per builtin module, its "key=value" entries, in file order. */
  readonly entries: ReadonlyMap<string, readonly string[]>;
  readonly aliases: readonly IndexAlias[];
}

/**
 * modules.builtin.modinfo: NUL-separated "module.key=value" strings. The module name is what
 * precedes the first '.'; entries without a '.' or '=' are ignored.
 */
export function parseBuiltinModinfo(data: Buffer | undefined): BuiltinModinfo {
  const entries = new Map<string, string[]>();
  const aliases: IndexAlias[] = [];
  if (data === undefined) return { entries, aliases };
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf(0, start);
    if (end < 0) end = data.length;
    const line = data.toString("latin1", start, end);
    start = end + 1;
    const dot = line.indexOf(".");
    const eq = line.indexOf("=");
    if (dot <= 0 || eq < dot) continue;
    const module = line.slice(0, dot);
    const field = line.slice(dot + 1);
    let list = entries.get(module);
    if (!list) entries.set(module, (list = []));
    list.push(field);
    if (field.startsWith("alias=")) {
      const pattern = field.slice("alias=".length);
      aliases.push({ pattern, key: normalizeAlias(pattern), module: -1, target: module });
    }
  }
  return { entries, aliases };
}
