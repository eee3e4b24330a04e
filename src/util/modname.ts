/**
 * The one module-name normaliser (kmod's modname_normalize): '-' becomes '_', and the name ends
 * at the first '.'. Case is kept.
 */
export function normalizeModuleName(name: string): string {
  const dot = name.indexOf(".");
  const stem = dot < 0 ? name : name.slice(0, dot);
  return stem.includes("-") ? stem.replace(/-/g, "_") : stem;
}

/** kmod's path_to_modname: the normalised basename. */
export function moduleNameFromPath(path: string): string {
  return normalizeModuleName(path.slice(path.lastIndexOf("/") + 1));
}

/** The path a module had before compression: "a/b.ko.xz" -> "a/b.ko" (matched against modules.order). */
export function uncompressedModulePath(path: string): string {
  const at = path.lastIndexOf(".ko");
  return at < 0 ? path : path.slice(0, at + 3);
}

/**
 * kmod's alias_normalize: '-' becomes '_' outside bracket expressions; an unmatched ']' makes the
 * pattern invalid (undefined).
 */
export function normalizeAlias(alias: string): string | undefined {
  if (!/[-[\]]/.test(alias)) return alias;
  // Replaced a run at a time, not a character at a time: a tree has some 26,000 aliases, and a
  // string built of one-character pieces is slow to read afterwards (the trie writer reads them).
  if (!/[[\]]/.test(alias)) return alias.replace(/-/g, "_");
  let out = "";
  for (let from = 0; ; ) {
    const open = alias.indexOf("[", from);
    const plain = alias.slice(from, open < 0 ? alias.length : open);
    if (plain.includes("]")) return undefined;
    out += plain.replace(/-/g, "_");
    if (open < 0) return out;
    const close = alias.indexOf("]", open);
    if (close < 0) return undefined;
    out += alias.slice(open, close + 1);
    from = close + 1;
  }
}
