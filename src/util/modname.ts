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
  let out = "";
  for (let i = 0; i < alias.length; i++) {
    const c = alias[i];
    if (c === "[") {
      const close = alias.indexOf("]", i);
      if (close < 0) return undefined;
      out += alias.slice(i, close + 1);
      i = close;
    } else if (c === "]") {
      return undefined;
    } else {
      out += c === "-" ? "_" : c;
    }
  }
  return out;
}
