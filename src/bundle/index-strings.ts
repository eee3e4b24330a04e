/**
 * String pools of the binary index, and the word encoding every section shares.
 *
 * A pool is a section (or part of one) holding strings back to back, without separators; a string
 * is referenced from a record as two words, (offset, length) of its latin1 bytes in the pool.
 * Equal strings are stored once. Several pools exist (CORE_STRINGS, BUILTIN_STRINGS,
 * SYMBOL_STRINGS, one per alias table) so that a command reads only those of the tables it uses.
 * The reader checks each reference against its pool when it reads it (IndexSections.string).
 */
export class StringPool {
  private readonly offsets = new Map<string, number>();
  private readonly chunks: Buffer[] = [];
  private size = 0;

  ref(value: string): [number, number] {
    let offset = this.offsets.get(value);
    const length = Buffer.byteLength(value, "latin1");
    if (offset === undefined) {
      offset = this.size;
      this.offsets.set(value, offset);
      this.chunks.push(Buffer.from(value, "latin1"));
      this.size += length;
    }
    return [offset, length];
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Little-endian u32 words. */
export function words(values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => out.writeUInt32LE(v >>> 0, i * 4));
  return out;
}

export function padded(data: Buffer): Buffer {
  const pad = (4 - (data.length % 4)) % 4;
  return pad === 0 ? data : Buffer.concat([data, Buffer.alloc(pad)]);
}

/** The order of names in the index's sorted tables: by latin1 bytes. */
export function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "latin1"), Buffer.from(b, "latin1"));
}
