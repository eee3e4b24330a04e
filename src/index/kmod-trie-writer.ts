import { KMOD_INDEX_MAGIC, KMOD_INDEX_VERSION, NODE_CHILDS, NODE_PREFIX, NODE_VALUES } from "./kmod-trie-format";

/**
 * The one writer of kmod's binary index files (modules.*.bin), byte for byte as Debian's depmod
 * (kmod 30, tools/depmod.c index_insert and index_write) writes them: keys are inserted into a
 * Patricia trie exactly as depmod splits its nodes, each node's values are kept sorted by
 * priority (a value goes before the first one of equal or higher priority, so equal priorities
 * end up in reverse insertion order), and the trie is written post-order, children before their
 * parent, the root's offset patched into the head. The format is described in
 * kmod-trie-format.ts.
 */
interface TrieValue {
  readonly priority: number;
  /** A byte string (latin1). */
  readonly value: string;
}

class TrieNode {
  /** The bytes after the arc that leads here (path compression), as a latin1 string. */
  prefix: string;
  values: TrieValue[] = [];
  /** Indexed by byte; first/last bound the occupied range (first > last when none). */
  children: Array<TrieNode | undefined> = [];
  first = 128;
  last = 0;
  /** The node's offset word, once written. */
  written = 0;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  addValue(value: string, priority: number): void {
    let at = 0;
    while (at < this.values.length && this.values[at].priority < priority) at++;
    this.values.splice(at, 0, { priority, value });
  }

  setChild(ch: number, child: TrieNode): void {
    this.children[ch] = child;
    if (ch < this.first) this.first = ch;
    if (ch > this.last) this.last = ch;
  }
}

export class KmodTrieWriter {
  private readonly root = new TrieNode("");

  /** index_insert: `key` and `value` are byte strings (latin1). */
  insert(key: string, value: string, priority: number): void {
    let node = this.root;
    let i = 0;
    while (true) {
      const prefix = node.prefix;
      let j = 0;
      for (; j < prefix.length; j++) {
        // A key ending inside the prefix compares its end (NUL in C) against the prefix byte.
        if (i + j >= key.length || prefix.charCodeAt(j) !== key.charCodeAt(i + j)) {
          // The node keeps prefix[0..j]; a new child at prefix[j] takes over the rest.
          const child = new TrieNode(prefix.slice(j + 1));
          child.values = node.values;
          child.children = node.children;
          child.first = node.first;
          child.last = node.last;
          node.prefix = prefix.slice(0, j);
          node.values = [];
          node.children = [];
          node.first = 128;
          node.last = 0;
          node.setChild(prefix.charCodeAt(j), child);
          break;
        }
      }
      i += j;
      if (i === key.length) {
        node.addValue(value, priority);
        return;
      }
      const ch = key.charCodeAt(i);
      const next = node.children[ch];
      if (next === undefined) {
        const child = new TrieNode(key.slice(i + 1));
        child.addValue(value, priority);
        node.setChild(ch, child);
        return;
      }
      node = next;
      i++;
    }
  }

  /** index_write: the whole file. */
  toBuffer(): Buffer {
    const out = new ByteWriter();
    out.u32(KMOD_INDEX_MAGIC);
    out.u32(KMOD_INDEX_VERSION);
    out.u32(0); // the root's offset, known once the root is written (last)
    // Post-order: a node's children are written (and their offset words kept on them) first.
    const write = (node: TrieNode): void => {
      const hasChildren = node.first <= node.last;
      if (hasChildren) {
        for (let ch = node.first; ch <= node.last; ch++) {
          const child = node.children[ch];
          if (child !== undefined) write(child);
        }
      }
      let flagged = out.length;
      if (node.prefix.length > 0) {
        out.latin1(node.prefix);
        out.byte(0);
        flagged |= NODE_PREFIX;
      }
      if (hasChildren) {
        out.byte(node.first);
        out.byte(node.last);
        for (let ch = node.first; ch <= node.last; ch++) out.u32(node.children[ch]?.written ?? 0);
        flagged |= NODE_CHILDS;
      }
      if (node.values.length > 0) {
        out.u32(node.values.length);
        for (const v of node.values) {
          out.u32(v.priority);
          out.latin1(v.value);
          out.byte(0);
        }
        flagged |= NODE_VALUES;
      }
      node.written = flagged >>> 0;
    };
    write(this.root);
    const file = out.finish();
    file.writeUInt32BE(this.root.written, 8);
    return file;
  }
}

/** An append-only byte buffer that grows by doubling. */
class ByteWriter {
  private buffer = Buffer.allocUnsafe(1 << 16);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + n) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer = bigger;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buffer[this.length++] = b;
  }

  u32(n: number): void {
    this.reserve(4);
    const b = this.buffer;
    const at = this.length;
    b[at] = n >>> 24;
    b[at + 1] = (n >>> 16) & 0xff;
    b[at + 2] = (n >>> 8) & 0xff;
    b[at + 3] = n & 0xff;
    this.length = at + 4;
  }

  /** A byte string: short ones (most prefixes) byte by byte, which beats a native call. */
  latin1(text: string): void {
    this.reserve(text.length);
    if (text.length < 32) {
      for (let k = 0; k < text.length; k++) this.buffer[this.length + k] = text.charCodeAt(k);
    } else {
      this.buffer.write(text, this.length, "latin1");
    }
    this.length += text.length;
  }

  finish(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}
