/**
 * One string object per distinct name: thousands of modules name the same few thousand symbols,
 * and keeping one copy of each keeps pack's and depmod's memory flat. Names read from a module's
 * bytes are looked up by those bytes (`fromBytes`), so that a name already known costs no new
 * string at all: a tree's modules name some 400,000 symbols, of which 20,000 differ.
 *
 * Each distinct name also has a number (`idFromTerminated`, `nameOf`), handed out 0, 1, 2, ... in
 * the order the names are first seen, so that a reader can mark names in a typed array (see
 * IdMarks) instead of a Map of strings.
 *
 * An open-addressing table (FNV-1a hashes of the bytes, linear probing) over latin1 strings,
 * whose code units are their bytes. A slot holds a name's number and its hash side by side: a
 * probe that meets another name is told apart by the hash, in the same cache line, without
 * reading that name's string (a lookup misses the cache; a second miss per probe doubled its cost).
 * A name met again is compared with a copy of the first one's bytes, kept with the others in one
 * typed array, rather than with its string: reading the string a code unit at a time was most of
 * a lookup's cost, and a tree's modules make some 400,000 lookups.
 */
export class Interner {
  /** Pairs: a name's number (-1 for an empty slot), its hash. */
  private slots = new Int32Array(2 << INITIAL_BITS).fill(-1);
  private readonly strings: string[] = [];
  /** Every name's bytes, one after another; where each starts and how long it is (-1: not latin1, never met by bytes). */
  private bytes = new Uint8Array(1 << 12);
  private used = 0;
  private starts = new Int32Array(1 << INITIAL_BITS);
  private lengths = new Int32Array(1 << INITIAL_BITS);

  /** How many distinct names there are; every number handed out is below it. */
  get size(): number {
    return this.strings.length;
  }

  /** The name numbered `id`. */
  nameOf(id: number): string {
    return this.strings[id];
  }

  /** The string of data[start..end) (latin1). */
  fromBytes(data: Uint8Array, start: number, end: number): string {
    let hash = FNV_OFFSET;
    for (let k = start; k < end; k++) hash = Math.imul(hash ^ data[k], FNV_PRIME);
    return this.strings[this.find(data, start, end, hash)];
  }

  /**
   * The string of data[start..) up to its NUL or `limit` (a C string in a table of them), found
   * and hashed in one pass over its bytes.
   */
  fromTerminated(data: Uint8Array, start: number, limit: number): string {
    return this.strings[this.idFromTerminated(data, start, limit)];
  }

  /** fromTerminated's name, by its number. */
  idFromTerminated(data: Uint8Array, start: number, limit: number): number {
    let hash = FNV_OFFSET;
    let end = start;
    for (; end < limit; end++) {
      const byte = data[end];
      if (byte === 0) break;
      hash = Math.imul(hash ^ byte, FNV_PRIME);
    }
    return this.find(data, start, end, hash);
  }

  /** `name` itself the first time, after that the string first given. */
  intern(name: string): string {
    const hash = hashOf(name);
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const known = slots[2 * slot];
      if (known < 0) return this.strings[this.add(slot, hash, name, undefined, 0)];
      if (slots[2 * slot + 1] === hash && this.strings[known] === name) return this.strings[known];
    }
  }

  private find(data: Uint8Array, start: number, end: number, hash: number): number {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    const length = end - start;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const known = slots[2 * slot];
      if (known < 0) return this.add(slot, hash, Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("latin1", start, end), data, start);
      if (slots[2 * slot + 1] !== hash || this.lengths[known] !== length) continue;
      const bytes = this.bytes;
      const at = this.starts[known] - start;
      let k = start;
      while (k < end && bytes[at + k] === data[k]) k++;
      if (k === end) return known;
    }
  }

  /** Adds `name`, whose bytes are data[start..) when `data` is given. */
  private add(slot: number, hash: number, name: string, data: Uint8Array | undefined, start: number): number {
    const id = this.strings.length;
    this.slots[2 * slot] = id;
    this.slots[2 * slot + 1] = hash;
    this.strings.push(name);
    this.keepBytes(id, name, data, start);
    // At most half full: probes stay short.
    if (this.strings.length * 4 > this.slots.length) this.grow();
    return id;
  }

  private keepBytes(id: number, name: string, data: Uint8Array | undefined, start: number): void {
    if (id >= this.starts.length) {
      this.starts = widened(this.starts);
      this.lengths = widened(this.lengths);
    }
    const length = name.length;
    if (this.used + length > this.bytes.length) {
      const bigger = new Uint8Array(Math.max(this.bytes.length * 2, this.used + length));
      bigger.set(this.bytes.subarray(0, this.used));
      this.bytes = bigger;
    }
    const bytes = this.bytes;
    const at = this.used;
    let latin1 = true;
    for (let k = 0; k < length; k++) {
      const byte = data === undefined ? name.charCodeAt(k) : data[start + k];
      if (byte > 0xff) latin1 = false;
      bytes[at + k] = byte;
    }
    this.starts[id] = at;
    this.lengths[id] = latin1 ? length : -1;
    this.used += length;
  }

  private grow(): void {
    const old = this.slots;
    const slots = new Int32Array(old.length * 2).fill(-1);
    const mask = (slots.length >> 1) - 1;
    for (let k = 0; k < old.length; k += 2) {
      if (old[k] < 0) continue;
      let slot = old[k + 1] & mask;
      while (slots[2 * slot] >= 0) slot = (slot + 1) & mask;
      slots[2 * slot] = old[k];
      slots[2 * slot + 1] = old[k + 1];
    }
    this.slots = slots;
  }
}

function widened(array: Int32Array): Int32Array<ArrayBuffer> {
  const wider = new Int32Array(array.length * 2);
  wider.set(array);
  return wider;
}

/** Small to start (an interner may be made for one module), doubled as names come. */
const INITIAL_BITS = 8;
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** FNV-1a over a latin1 string's bytes, as fromBytes hashes them. */
function hashOf(name: string): number {
  let hash = FNV_OFFSET;
  for (let k = 0; k < name.length; k++) hash = Math.imul(hash ^ (name.charCodeAt(k) & 0xff), FNV_PRIME);
  return hash;
}

/**
 * A mark per interned name, set for one round at a time (a module, say): which names a round has
 * marked is a typed-array read, and starting a round clears nothing (each round has its own
 * number). One IdMarks may serve several interners: a mark left by another's name with the same
 * number belongs to an earlier round.
 */
export class IdMarks {
  private marks = new Int32Array(256);
  /** Marks start at 0, an earlier round than the first. */
  private round = 1;

  /** Starts a round: nothing is marked in it yet. */
  next(): void {
    this.round++;
  }

  mark(id: number): void {
    if (id >= this.marks.length) this.widen(id);
    this.marks[id] = this.round;
  }

  /** Whether `id` was marked in this round. */
  has(id: number): boolean {
    return id < this.marks.length && this.marks[id] === this.round;
  }

  private widen(id: number): void {
    const wider = new Int32Array(Math.max(id + 1, this.marks.length * 2));
    wider.set(this.marks);
    this.marks = wider;
  }
}
