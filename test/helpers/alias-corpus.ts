import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The query corpus the modprobe differential tests share: concrete strings made from every alias
 * pattern of a depmod'ed module directory (wildcards filled in two ways), a seventh of its
 * symbols, and a few special names.
 */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function firstDifference(a: string, b: string): string {
  const x = a.split("\n");
  const y = b.split("\n");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return `line ${i + 1}: kmod ${JSON.stringify(x[i])}, modbundle ${JSON.stringify(y[i])}`;
  }
  return "no difference";
}

/** Concrete strings for an alias pattern: wildcards filled in two ways. */
export function instances(pattern: string): string[] {
  const fill = (star: string): string =>
    pattern.replace(/\[([^\]]*)\]/g, (_, set: string) => (set.startsWith("!") || set.startsWith("^") ? "~" : set.replace(/^\\/, "").charAt(0) || "x")).replace(/\*/g, star).replace(/\?/g, "0");
  return [...new Set([fill(""), fill("00001234")])];
}

/** Module names in modules.dep order. */
export function moduleNames(dirname: string): string[] {
  return fs
    .readFileSync(path.join(dirname, "modules.dep"), "latin1")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => path.basename(l.slice(0, l.indexOf(":"))).replace(/\.ko.*$/, ""));
}

export function aliasQueries(dirname: string): string[] {
  const patterns = fs
    .readFileSync(path.join(dirname, "modules.alias"), "latin1")
    .split("\n")
    .filter((l) => l.startsWith("alias "))
    .map((l) => l.split(" ")[1]);
  const symbols = fs
    .readFileSync(path.join(dirname, "modules.symbols"), "latin1")
    .split("\n")
    .filter((l) => l.startsWith("alias "))
    .map((l) => l.split(" ")[1]);
  return [...new Set([...patterns.flatMap(instances), ...symbols.filter((_, i) => i % 7 === 0), "fs-vfat", "crypto-sha256", "char-major-116-1", "nonexistent-alias"])];
}
