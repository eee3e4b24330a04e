import { ModuleIndex } from "./types";
import { kmodHashOrder } from "../util/kmod-hash";
import { depLines } from "./dep-lines";

/**
 * kmod's text index files, written from the index exactly as depmod writes them
 * (tools/depmod.c output_deps, output_aliases, output_softdeps, output_weakdeps, output_symbols,
 * output_devname), modules.symbols in depmod's symbol-hash order.
 */
export type TextIndexFile =
  | "modules.dep"
  | "modules.alias"
  | "modules.softdep"
  | "modules.weakdep"
  | "modules.symbols"
  | "modules.devname";

export const TEXT_INDEX_FILES: readonly TextIndexFile[] = [
  "modules.dep",
  "modules.alias",
  "modules.softdep",
  "modules.weakdep",
  "modules.symbols",
  "modules.devname",
];

export function renderTextIndex(index: ModuleIndex, file: TextIndexFile): string {
  const out: string[] = [];
  const { modules } = index;
  switch (file) {
    case "modules.dep":
      for (const line of depLines(index)) out.push(`${line}\n`);
      break;
    case "modules.alias":
      out.push("# Aliases extracted from modules themselves.\n");
      for (const alias of index.aliases) out.push(`alias ${alias.pattern} ${alias.target}\n`);
      break;
    case "modules.softdep":
      out.push("# Soft dependencies extracted from modules themselves.\n");
      for (const module of modules) for (const value of module.softdeps) out.push(`softdep ${module.name} ${value}\n`);
      break;
    case "modules.weakdep":
      out.push("# Weak dependencies extracted from modules themselves.\n");
      for (const module of modules) for (const value of module.weakdeps) out.push(`weakdep ${module.name} ${value}\n`);
      break;
    case "modules.symbols":
      out.push("# Aliases for symbols, used by symbol_request().\n");
      for (const symbol of kmodHashOrder(index.symbols, (s) => s.name, 2048)) out.push(`alias symbol:${symbol.name} ${modules[symbol.module].name}\n`);
      break;
    case "modules.devname":
      if (index.devnames.length > 0) out.push("# Device nodes to trigger on-demand module loading.\n");
      for (const d of index.devnames) out.push(`${modules[d.module].name} ${d.devname} ${d.type}${d.major}:${d.minor}\n`);
      break;
  }
  return out.join("");
}
