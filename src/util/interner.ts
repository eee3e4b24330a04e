/**
 * One string object per distinct name: thousands of modules name the same few thousand symbols,
 * and keeping one copy of each keeps pack's and depmod's memory flat. Names read from a module's
 * bytes are looked up by those bytes (`fromBytes`), so that a name already known costs no new
 * string at all: a tree's modules name some 400,000 symbols, of which 20,000 differ.
 *
 * An open-addressing table (FNV-1a hashes of the bytes, linear probing) over latin1 strings,
 * whose code units are their bytes.
 */
export class Interner {
  private slots = new Int32Array(1 << 16).fill(-1);
  private readonly strings: string[] = [];

  /** The string of data[start..end) (latin1). */
  fromBytes(data: Uint8Array, start: number, end: number): string {
    let hash = 0x811c9dc5;
    for (let k = start; k < end; k++) hash = Math.imul(hash ^ data[k], 0x01000193);
    return this.find(data, start, end, hash);
  }

  /**
   * The string of data[start..) up to its NUL or `limit` (a C string in a table of them), found
   * and hashed in one pass over its bytes.
   */
  fromTerminated(data: Uint8Array, start: number, limit: number): string {
    let hash = 0x811c9dc5;
    let end = start;
    for (; end < limit; end++) {
      const byte = data[end];
      if (byte === 0) break;
      hash = Math.imul(hash ^ byte, 0x01000193);
    }
    return this.find(data, start, end, hash);
  }

  private find(data: Uint8Array, start: number, end: number, hash: number): string {
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const known = this.slots[slot];
      if (known < 0) return this.add(slot, Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("latin1", start, end));
      const candidate = this.strings[known];
      if (candidate.length !== end - start) continue;
      let k = 0;
      while (k < candidate.length && candidate.charCodeAt(k) === data[start + k]) k++;
      if (k === candidate.length) return candidate;
    }
  }

  /** `name` itself the first time, after that the string first given. */
  intern(name: string): string {
    const hash = hashOf(name);
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const known = this.slots[slot];
      if (known < 0) return this.add(slot, name);
      if (this.strings[known] === name) return this.strings[known];
    }
  }

  private add(slot: number, name: string): string {
    this.slots[slot] = this.strings.length;
    this.strings.push(name);
    if (this.strings.length * 2 > this.slots.length) this.grow();
    return name;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(-1);
    const mask = this.slots.length - 1;
    for (const known of old) {
      if (known < 0) continue;
      let slot = hashOf(this.strings[known]) & mask;
      while (this.slots[slot] >= 0) slot = (slot + 1) & mask;
      this.slots[slot] = known;
    }
  }
}

/** FNV-1a over a latin1 string's bytes, as fromBytes hashes them. */
function hashOf(name: string): number {
  let hash = 0x811c9dc5;
  for (let k = 0; k < name.length; k++) hash = Math.imul(hash ^ (name.charCodeAt(k) & 0xff), 0x01000193);
  return hash;
}
