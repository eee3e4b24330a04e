import { KMOD_INDEX_MAGIC, KMOD_INDEX_VERSION, NODE_CHILDS, NODE_PREFIX, NODE_VALUES } from "./kmod-trie-format";

/**
 * The one writer of kmod's binary index files (modules.*.bin), byte for byte as Debian's depmod
 * (kmod 30, tools/depmod.c index_insert and index_write) writes them. The format is described in
 * kmod-trie-format.ts.
 *
 * depmod inserts keys one by one into a Patricia trie, splitting a node's prefix where a new key
 * leaves it. The trie that comes out depends only on the set of keys (a node is the root, the end
 * of a key, or a place where keys part), so it is built here from the sorted keys instead, and
 * written as it is built: depmod writes post-order (a node's children in byte order, each with
 * its subtree, then the node), which is the order a recursion over sorted keys reaches them in.
 * The root keeps an empty prefix, as depmod's does. A key's values are sorted by priority, a
 * value going before the first one of equal or higher priority (so equal priorities end up in
 * reverse insertion order).
 */
export class KmodTrieWriter {
  /** Per distinct key (a latin1 byte string), its entries: indices into values/priorities. */
  private readonly byKey = new Map<string, number[]>();
  private readonly values: string[] = [];
  private readonly priorities: number[] = [];

  /** index_insert: `key` and `value` are byte strings (latin1). */
  insert(key: string, value: string, priority: number): void {
    const entry = this.values.length;
    this.values.push(value);
    this.priorities.push(priority);
    const entries = this.byKey.get(key);
    if (entries === undefined) this.byKey.set(key, [entry]);
    else entries.push(entry);
  }

  /** index_write: the whole file. */
  toBuffer(): Buffer {
    const keys = [...this.byKey.keys()];
    // Code-unit order (the default sort's, with no call back into JavaScript per comparison),
    // which for latin1 strings is byte order, a key before its extensions.
    keys.sort();
    const writing = new TrieWriting(keys, this.byKey, this.values, this.priorities);
    return writing.file();
  }
}

/**
 * The end of the run of keys from `at` (before `hi`) whose byte at `depth` is `byte`: the keys
 * share their first `depth` bytes, are longer and sorted, so their bytes there never decrease.
 * Found by galloping then halving, not key by key: near the root a run spans thousands of keys,
 * and every level below walked them all again.
 */
function runEnd(keys: readonly string[], at: number, hi: number, depth: number, byte: number): number {
  let inside = at;
  let step = 1;
  while (inside + step < hi && keys[inside + step].charCodeAt(depth) === byte) {
    inside += step;
    step *= 2;
  }
  let outside = Math.min(inside + step, hi);
  while (outside - inside > 1) {
    const middle = (inside + outside) >>> 1;
    if (keys[middle].charCodeAt(depth) === byte) inside = middle;
    else outside = middle;
  }
  return outside;
}

/** One toBuffer: the recursion over the sorted keys, with its output and a stack of child words. */
class TrieWriting {
  private buffer = Buffer.allocUnsafe(1 << 16);
  private length = 0;
  /** Children written but not yet claimed by their parent: byte and offset word, pairwise. */
  private stack = new Float64Array(1024);
  private top = 0;

  /**
   * The writer's tables themselves, not a function of its to look entries up with: a function
   * made for each file was a new call target each time, and the recursion, compiled while the
   * first file was written, was thrown away and compiled again for each of the next.
   */
  constructor(
    private readonly keys: readonly string[],
    private readonly byKey: ReadonlyMap<string, number[]>,
    private readonly values: readonly string[],
    private readonly priorities: readonly number[],
  ) {}

  file(): Buffer {
    this.reserve(12);
    this.u32(KMOD_INDEX_MAGIC);
    this.u32(KMOD_INDEX_VERSION);
    this.u32(0); // the root's offset, known once the root is written (last)
    const root = this.keys.length === 0 ? this.length : this.node(0, this.keys.length, 0, true);
    const file = this.buffer.subarray(0, this.length);
    file.writeUInt32BE(root >>> 0, 8);
    return file;
  }

  /**
   * Writes the node for keys[lo..hi) (which share their first `depth` bytes), its subtrees first;
   * returns its offset word.
   */
  private node(lo: number, hi: number, depth: number, isRoot: boolean): number {
    const keys = this.keys;
    const first = keys[lo];
    let end = depth;
    if (!isRoot) {
      // The keys' common prefix is that of the first and the last, they being sorted.
      const last = keys[hi - 1];
      const limit = Math.min(first.length, last.length);
      while (end < limit && first.charCodeAt(end) === last.charCodeAt(end)) end++;
    }
    // A key ending here is the first one (it sorts before its extensions); the rest go on.
    const ownKey = first.length === end;
    const base = this.top;
    let at = ownKey ? lo + 1 : lo;
    while (at < hi) {
      const byte = keys[at].charCodeAt(end);
      const next = runEnd(keys, at, hi, end, byte);
      const word = this.node(at, next, end + 1, false);
      this.push(byte, word);
      at = next;
    }

    const entries = ownKey ? this.sortedEntries(first) : undefined;
    const children = (this.top - base) / 2;
    const firstByte = children > 0 ? this.stack[base] : 0;
    const lastByte = children > 0 ? this.stack[this.top - 2] : -1;
    let size = end > depth ? end - depth + 1 : 0;
    if (children > 0) size += 2 + 4 * (lastByte - firstByte + 1);
    if (entries !== undefined) {
      size += 4;
      for (let k = 0; k < entries.length; k++) size += 5 + this.values[entries[k]].length;
    }
    this.reserve(size);
    let word = this.length;
    if (end > depth) {
      this.latin1(first, depth, end);
      this.buffer[this.length++] = 0;
      word |= NODE_PREFIX;
    }
    if (children > 0) {
      const b = this.buffer;
      b[this.length++] = firstByte;
      b[this.length++] = lastByte;
      let k = base;
      for (let byte = firstByte; byte <= lastByte; byte++) {
        if (k < this.top && this.stack[k] === byte) {
          this.u32(this.stack[k + 1]);
          k += 2;
        } else {
          this.u32(0);
        }
      }
      this.top = base;
      word |= NODE_CHILDS;
    }
    if (entries !== undefined) {
      this.u32(entries.length);
      for (let k = 0; k < entries.length; k++) {
        const value = this.values[entries[k]];
        this.u32(this.priorities[entries[k]]);
        this.latin1(value, 0, value.length);
        this.buffer[this.length++] = 0;
      }
      word |= NODE_VALUES;
    }
    return word >>> 0;
  }

  /** A key's entries by priority, equal priorities latest first (depmod's insertion rule). */
  private sortedEntries(key: string): number[] {
    const entries = this.byKey.get(key) as number[];
    if (entries.length > 1) entries.sort((a, b) => this.priorities[a] - this.priorities[b] || b - a);
    return entries;
  }

  private push(byte: number, word: number): void {
    if (this.top + 2 > this.stack.length) {
      const bigger = new Float64Array(this.stack.length * 2);
      bigger.set(this.stack);
      this.stack = bigger;
    }
    this.stack[this.top++] = byte;
    this.stack[this.top++] = word;
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + n) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer = bigger;
  }

  private u32(n: number): void {
    const b = this.buffer;
    const at = this.length;
    b[at] = n >>> 24;
    b[at + 1] = (n >>> 16) & 0xff;
    b[at + 2] = (n >>> 8) & 0xff;
    b[at + 3] = n & 0xff;
    this.length = at + 4;
  }

  /** text[start..end), a byte string: short runs byte by byte, which beats a native call. */
  private latin1(text: string, start: number, end: number): void {
    const n = end - start;
    if (n < 32) {
      const b = this.buffer;
      for (let k = 0; k < n; k++) b[this.length + k] = text.charCodeAt(start + k);
    } else {
      this.buffer.write(start === 0 && end === text.length ? text : text.slice(start, end), this.length, "latin1");
    }
    this.length += n;
  }
}
