/**
 * The order in which kmod's index search (libkmod-index.c index_mm_searchwild) returns the values
 * of matching keys: sorted by priority (the module's depmod position; 0 for builtin aliases), and
 * among equal priorities in reverse of the order the trie walk found them. The walk visits, along
 * the literal part of the query, the '*', '?' and '[' subtrees first, then the key that ends there,
 * then goes deeper; inside a wildcard subtree it visits children in byte order and a node's own
 * values after its children.
 */
export interface AliasMatch {
  /** The matching index key (normalised pattern). */
  readonly key: string;
  readonly target: string;
  readonly priority: number;
  /** The alias's number in its table (identity only). */
  readonly alias: number;
}

const LITERAL_RANK: Record<string, number> = { "*": 0, "?": 1, "[": 2 };

/** Negative when the trie walk meets key `a` before key `b`. */
export function trieWalkCompare(a: string, b: string): number {
  let wild = false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) {
    if (a[i] in LITERAL_RANK) wild = true;
    i++;
  }
  if (i === a.length && i === b.length) return 0;
  if (wild) {
    // Post-order inside a wildcard subtree: a key that ends here comes after longer ones.
    if (i === a.length) return 1;
    if (i === b.length) return -1;
    return a.charCodeAt(i) - b.charCodeAt(i);
  }
  const rank = (s: string): number => (i === s.length ? 3 : (LITERAL_RANK[s[i]] ?? 4));
  return rank(a) - rank(b) || a.charCodeAt(i) - b.charCodeAt(i);
}

export function kmodAliasOrder(matches: readonly AliasMatch[]): AliasMatch[] {
  const found = [...matches].sort((x, y) => trieWalkCompare(x.key, y.key));
  // add_value inserts before the first value of equal or higher priority: equal ones reverse.
  const order = new Map(found.map((m, i) => [m, i]));
  return found.sort((x, y) => x.priority - y.priority || (order.get(y) as number) - (order.get(x) as number));
}
