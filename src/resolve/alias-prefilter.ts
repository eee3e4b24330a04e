import { CompiledPattern } from "../util/fnmatch";

/**
 * A filter for a large group of alias patterns sharing one literal prefix (the device-tree
 * "of:N*T*C<compatible>" patterns, say, 1,756 of them): every pattern made of literals and '*'
 * can only match strings that contain each of its literal segments, so each pattern is filed
 * under one 4-byte piece of its longest segment (the rarest in the group), and a query is
 * checked only against the patterns filed under the 4-byte pieces it contains. Patterns with no
 * segment of 4 bytes, or with '?', '[' or '\', are always checked. The filter only skips
 * patterns that cannot match; the match itself is still decided by fnmatch's rules.
 */
const GRAM = 4;

function gramAt(text: string, at: number): number {
  return ((text.charCodeAt(at) << 24) | (text.charCodeAt(at + 1) << 16) | (text.charCodeAt(at + 2) << 8) | text.charCodeAt(at + 3)) >>> 0;
}

export class AliasPrefilter {
  private readonly always: number[] = [];
  private readonly byGram = new Map<number, number[]>();
  /** Per alias, the query it was last handed out for: a pattern reached twice is checked once. */
  private readonly stamps = new Map<number, number>();
  private query = 0;

  constructor(members: ReadonlyArray<{ alias: number; pattern: CompiledPattern }>) {
    const chosen: Array<{ alias: number; grams: number[] } | { alias: number; grams: undefined }> = [];
    const frequency = new Map<number, number>();
    for (const { alias, pattern } of members) {
      if (pattern.middle === undefined || pattern.last === undefined) {
        chosen.push({ alias, grams: undefined });
        continue;
      }
      const segments = [...pattern.middle, pattern.last].filter((s) => s.length >= GRAM);
      if (segments.length === 0) {
        chosen.push({ alias, grams: undefined });
        continue;
      }
      const longest = segments.reduce((a, b) => (b.length > a.length ? b : a));
      const grams: number[] = [];
      for (let i = 0; i + GRAM <= longest.length; i++) grams.push(gramAt(longest, i));
      for (const g of new Set(grams)) frequency.set(g, (frequency.get(g) ?? 0) + 1);
      chosen.push({ alias, grams });
    }
    for (const entry of chosen) {
      if (entry.grams === undefined) {
        this.always.push(entry.alias);
        continue;
      }
      const rarest = entry.grams.reduce((a, b) => ((frequency.get(b) ?? 0) < (frequency.get(a) ?? 0) ? b : a));
      let list = this.byGram.get(rarest);
      if (!list) this.byGram.set(rarest, (list = []));
      list.push(entry.alias);
    }
  }

  /** Every alias that may match `query`, each once. */
  candidates(query: string, visit: (alias: number) => void): void {
    for (const alias of this.always) visit(alias);
    const stamp = ++this.query;
    for (let i = 0; i + GRAM <= query.length; i++) {
      const list = this.byGram.get(gramAt(query, i));
      if (!list) continue;
      for (const alias of list) {
        if (this.stamps.get(alias) === stamp) continue;
        this.stamps.set(alias, stamp);
        visit(alias);
      }
    }
  }
}
