import { ModbundleError } from "../errors";
import { ByteSource } from "../io/byte-source";
import { CompiledPattern, compilePattern, matchCompiled } from "../util/fnmatch";
import { KMOD_INDEX_MAGIC, KMOD_INDEX_MAJOR, MAX_KEY_LENGTH, NODE_CHILDS, NODE_MASK, NODE_PREFIX, NODE_VALUES } from "./kmod-trie-format";

/**
 * The one reader of kmod's binary index files (format: kmod-trie-format.ts), on any ByteSource.
 * Only the nodes a lookup needs are read (in pages) and parsed, each once for the reader's life
 * (a process resolving thousands of aliases walks the same nodes again and again): an exact search
 * reads the nodes along its key, a wildcard search what kmod's index_searchwild visits. Every
 * offset, length and count from the file is checked before use, and every operation may visit
 * at most as many nodes as the file has bytes, so that a hostile file (child offsets forming a
 * cycle, or a small graph reached many times over) ends in an error, never a hang.
 */
export interface KmodIndexValue {
  readonly priority: number;
  readonly value: string;
}

interface TrieNode {
  readonly offset: number;
  readonly prefix: string;
  readonly first: number;
  readonly last: number;
  /** File position of the child offset words. */
  readonly childTable: number;
  readonly values: readonly KmodIndexValue[];
}

/** A key of a wildcard subtree, from its first wildcard on, with the key's values. */
interface WildKey {
  readonly pattern: CompiledPattern;
  readonly values: readonly KmodIndexValue[];
}

const PAGE_SIZE = 4096;
const STAR = 0x2a;
const QUESTION = 0x3f;
const BRACKET = 0x5b;

/** kmod's add_value: before the first value of equal or higher priority. */
function addValue(out: KmodIndexValue[], value: KmodIndexValue): void {
  let at = 0;
  while (at < out.length && out[at].priority < value.priority) at++;
  out.splice(at, 0, value);
}

export class KmodTrieReader {
  private readonly pages = new Map<number, Buffer>();
  private budget = 0;

  private constructor(
    private readonly source: ByteSource,
    private readonly root: number,
  ) {}

  /** Checks the head (magic, major version); nodes are read on demand. */
  static open(source: ByteSource): KmodTrieReader {
    if (source.size < 12) throw corrupt(source.name, `${source.size} bytes is too short for the head`);
    const head = source.readAt(0, 12);
    const magic = head.readUInt32BE(0);
    if (magic !== KMOD_INDEX_MAGIC) throw corrupt(source.name, `bad magic 0x${magic.toString(16).padStart(8, "0")}`);
    const version = head.readUInt32BE(4);
    if (version >>> 16 !== KMOD_INDEX_MAJOR) throw corrupt(source.name, `unsupported version ${version >>> 16}.${version & 0xffff}`);
    return new KmodTrieReader(source, head.readUInt32BE(8));
  }

  get name(): string {
    return this.source.name;
  }

  close(): void {
    this.source.close();
  }

  /** index_search: the first value of `key`, or undefined. */
  search(key: string): string | undefined {
    this.budget = this.source.size;
    let node = this.node(this.root);
    let i = 0;
    while (node) {
      const prefix = node.prefix;
      if (prefix.length > 0) {
        if (!key.startsWith(prefix, i)) return undefined;
        i += prefix.length;
      }
      if (i === key.length) return node.values.length > 0 ? node.values[0].value : undefined;
      node = this.child(node, key.charCodeAt(i));
      i++;
    }
    return undefined;
  }

  /**
   * index_searchwild: the values of every key that, as an fnmatch pattern, matches `key`, in
   * kmod's order (by priority; equal priorities in reverse of the order the walk met them).
   */
  searchWild(key: string): KmodIndexValue[] {
    this.budget = this.source.size;
    const out: KmodIndexValue[] = [];
    let node = this.node(this.root);
    let i = 0;
    while (node) {
      const prefix = node.prefix;
      for (let j = 0; j < prefix.length; j++) {
        const ch = prefix.charCodeAt(j);
        if (ch === STAR || ch === QUESTION || ch === BRACKET) {
          this.walkWild(node, j, "", key.slice(i + j), out);
          return out;
        }
        if (ch !== key.charCodeAt(i + j)) return out;
      }
      i += prefix.length;
      for (const wild of [STAR, QUESTION, BRACKET]) {
        const child = this.child(node, wild);
        if (child) this.walkWild(child, 0, String.fromCharCode(wild), key.slice(i), out);
      }
      if (i === key.length) {
        for (const v of node.values) addValue(out, v);
        return out;
      }
      node = this.child(node, key.charCodeAt(i));
      i++;
    }
    return out;
  }

  /**
   * index_searchwild_all: every key below `node` (children first), matched against `subkey`.
   * The keys a subtree holds, in walk order, do not depend on the query: they are gathered once
   * per subtree and kept, so that later queries only match them.
   */
  private walkWild(node: TrieNode, from: number, pattern: string, subkey: string, out: KmodIndexValue[]): void {
    const id = `${node.offset}:${from}:${pattern}`;
    let keys = this.wildKeys.get(id);
    if (!keys) {
      keys = [];
      this.gatherKeys(node, from, pattern, keys);
      this.wildKeys.set(id, keys);
    }
    for (const { pattern: compiled, values } of keys) {
      if (matchCompiled(compiled, subkey)) for (const v of values) addValue(out, v);
    }
  }

  private readonly wildKeys = new Map<string, WildKey[]>();

  private gatherKeys(node: TrieNode, from: number, pattern: string, keys: WildKey[]): void {
    const key = pattern + node.prefix.slice(from);
    if (key.length > MAX_KEY_LENGTH) throw this.corrupt(node.offset, `keys longer than ${MAX_KEY_LENGTH} bytes`);
    for (let ch = node.first; ch <= node.last; ch++) {
      const child = this.child(node, ch);
      if (child) this.gatherKeys(child, 0, key + String.fromCharCode(ch), keys);
    }
    if (node.values.length > 0) keys.push({ pattern: compilePattern(key), values: node.values });
  }

  /** index_dump: every (key, value) in key order, a key's values in file order. */
  forEach(visit: (key: string, value: string) => void): void {
    this.budget = this.source.size;
    const walk = (node: TrieNode, key: string): void => {
      const full = key + node.prefix;
      if (full.length > MAX_KEY_LENGTH) throw this.corrupt(node.offset, `keys longer than ${MAX_KEY_LENGTH} bytes`);
      for (const v of node.values) visit(full, v.value);
      for (let ch = node.first; ch <= node.last; ch++) {
        const child = this.child(node, ch);
        if (child) walk(child, full + String.fromCharCode(ch));
      }
    };
    const root = this.node(this.root);
    if (root) walk(root, "");
  }

  private child(node: TrieNode, ch: number): TrieNode | undefined {
    if (ch < node.first || ch > node.last) return undefined;
    return this.node(this.u32(node.childTable + (ch - node.first) * 4, node.offset));
  }

  private node(word: number): TrieNode | undefined {
    const offset = word & NODE_MASK;
    if (offset === 0) return undefined;
    if (--this.budget < 0) throw this.corrupt(offset, "the trie revisits its nodes (a cycle)");
    const cached = this.nodes.get(word);
    if (cached) return cached;
    const size = this.source.size;
    if (offset < 12 || offset > size) throw this.corrupt(offset, `node offset beyond the ${size} bytes of the file`);
    let pos = offset;
    let prefix = "";
    if (word & NODE_PREFIX) {
      const end = this.findNul(pos, offset);
      prefix = this.latin1(pos, end);
      pos = end + 1;
    }
    let first = 128;
    let last = 0;
    let childTable = 0;
    if (word & NODE_CHILDS) {
      first = this.byte(pos, offset);
      last = this.byte(pos + 1, offset);
      if (first > last) throw this.corrupt(offset, `child range ${first}..${last} is empty`);
      childTable = pos + 2;
      pos = childTable + (last - first + 1) * 4;
      if (pos > size) throw this.corrupt(offset, "child table runs past the end of the file");
    }
    const values: KmodIndexValue[] = [];
    if (word & NODE_VALUES) {
      const count = this.u32(pos, offset);
      pos += 4;
      // Each value takes at least five bytes: a count beyond that cannot be honest.
      if (count > (size - pos) / 5) throw this.corrupt(offset, `${count} values cannot fit in the file`);
      for (let k = 0; k < count; k++) {
        const priority = this.u32(pos, offset);
        const end = this.findNul(pos + 4, offset);
        values.push({ priority, value: this.latin1(pos + 4, end) });
        pos = end + 1;
      }
    }
    const node = { offset, prefix, first, last, childTable, values };
    this.nodes.set(word, node);
    return node;
  }

  /** Nodes parsed so far, by offset word (the flags say how a node is parsed). */
  private readonly nodes = new Map<number, TrieNode>();

  private page(n: number): Buffer {
    let page = this.pages.get(n);
    if (!page) {
      const start = n * PAGE_SIZE;
      page = this.source.readAt(start, Math.min(PAGE_SIZE, this.source.size - start));
      this.pages.set(n, page);
    }
    return page;
  }

  private byte(pos: number, node: number): number {
    if (pos >= this.source.size) throw this.corrupt(node, "node runs past the end of the file");
    return this.page(Math.floor(pos / PAGE_SIZE))[pos % PAGE_SIZE];
  }

  private u32(pos: number, node: number): number {
    const inPage = pos % PAGE_SIZE;
    if (inPage <= PAGE_SIZE - 4 && pos + 4 <= this.source.size) {
      return this.page(Math.floor(pos / PAGE_SIZE)).readUInt32BE(inPage);
    }
    return ((this.byte(pos, node) << 24) | (this.byte(pos + 1, node) << 16) | (this.byte(pos + 2, node) << 8) | this.byte(pos + 3, node)) >>> 0;
  }

  /** The position of the NUL that ends the string at `pos`. */
  private findNul(pos: number, node: number): number {
    let at = pos;
    while (true) {
      if (at >= this.source.size) throw this.corrupt(node, "string runs past the end of the file");
      const page = this.page(Math.floor(at / PAGE_SIZE));
      const start = at % PAGE_SIZE;
      const found = page.indexOf(0, start);
      if (found >= 0) return at - start + found;
      at += page.length - start;
    }
  }

  private latin1(start: number, end: number): string {
    const first = Math.floor(start / PAGE_SIZE);
    if (first === Math.floor(end / PAGE_SIZE) || end === start) {
      return this.page(first).toString("latin1", start % PAGE_SIZE, start % PAGE_SIZE + (end - start));
    }
    let text = "";
    for (let at = start; at < end; ) {
      const page = this.page(Math.floor(at / PAGE_SIZE));
      const from = at % PAGE_SIZE;
      const to = Math.min(page.length, from + (end - at));
      text += page.toString("latin1", from, to);
      at += to - from;
    }
    return text;
  }

  private corrupt(node: number, reason: string): ModbundleError {
    return corrupt(this.source.name, `node at offset ${node}: ${reason}`);
  }
}

function corrupt(name: string, reason: string): ModbundleError {
  return new ModbundleError("EBUNDLE", `${name}: corrupt kmod index: ${reason}`);
}
