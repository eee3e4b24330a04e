/**
 * A reader of ASN.1 BER/DER encodings, just large enough for the PKCS#7 blob a module signature
 * carries. Every length is checked against the enclosing element before it is used, nesting is
 * bounded, and any malformation is a DerError: a hostile signature can make a field unreadable but
 * cannot make the reader loop, recurse without end or read outside the buffer.
 */
export const CLASS_UNIVERSAL = 0;
export const CLASS_CONTEXT = 2;

/** Deeper than any real certificate name; a bound so that nesting cannot exhaust the stack. */
const MAX_DEPTH = 32;

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DerError";
  }
}

export interface DerNode {
  readonly cls: number;
  readonly constructed: boolean;
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  readonly contentStart: number;
  /** End of the contents (before the end-of-contents octets of an indefinite length). */
  readonly contentEnd: number;
  /** Offset just past the whole element. */
  readonly end: number;
}

/** The element starting at `at`, which must end by `limit`. */
export function readNode(data: Buffer, at: number, limit: number, depth = 0): DerNode {
  if (depth > MAX_DEPTH) throw new DerError(`nesting deeper than ${MAX_DEPTH} at offset ${at}`);
  if (limit > data.length) limit = data.length;
  let p = at;
  const byte = (): number => {
    if (p >= limit) throw new DerError(`element at offset ${at} is truncated`);
    return data[p++];
  };
  const first = byte();
  const cls = first >> 6;
  const constructed = (first & 0x20) !== 0;
  let tag = first & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (let b = byte(); ; b = byte()) {
      tag = tag * 128 + (b & 0x7f);
      if (tag > 0xffffff) throw new DerError(`tag number too large at offset ${at}`);
      if ((b & 0x80) === 0) break;
    }
  }
  const lengthByte = byte();
  if (lengthByte === 0x80) {
    if (!constructed) throw new DerError(`primitive element with indefinite length at offset ${at}`);
    const contentStart = p;
    let q = contentStart;
    for (;;) {
      if (q + 2 <= limit && data[q] === 0 && data[q + 1] === 0) return { cls, constructed, tag, start: at, contentStart, contentEnd: q, end: q + 2 };
      q = readNode(data, q, limit, depth + 1).end;
    }
  }
  let length = lengthByte;
  if (lengthByte > 0x80) {
    const count = lengthByte & 0x7f;
    if (count > 4) throw new DerError(`length of ${count} bytes at offset ${at}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + byte();
  }
  if (length > limit - p) throw new DerError(`element at offset ${at} of length ${length} exceeds its container (${limit - p} bytes left)`);
  return { cls, constructed, tag, start: at, contentStart: p, contentEnd: p + length, end: p + length };
}

/** The elements inside a constructed element, in order. */
export function children(data: Buffer, node: DerNode, depth = 0): DerNode[] {
  if (!node.constructed) throw new DerError(`element at offset ${node.start} is not constructed`);
  return elements(data, node, depth);
}

/** The contents read as elements whatever the constructed bit says (OpenSSL's SET OF and SEQUENCE OF do not check it). */
export function elements(data: Buffer, node: DerNode, depth = 0): DerNode[] {
  const out: DerNode[] = [];
  for (let at = node.contentStart; at < node.contentEnd; ) {
    const child = readNode(data, at, node.contentEnd, depth + 1);
    // End-of-contents octets end an indefinite length (readNode stops there); anywhere else they are an error.
    if (child.cls === CLASS_UNIVERSAL && child.tag === 0 && !child.constructed && child.end - child.start === 2) {
      throw new DerError(`unexpected end-of-contents at offset ${at}`);
    }
    out.push(child);
    at = child.end;
  }
  return out;
}

export function isUniversal(node: DerNode, tag: number): boolean {
  return node.cls === CLASS_UNIVERSAL && node.tag === tag;
}

export function isContext(node: DerNode, tag: number): boolean {
  return node.cls === CLASS_CONTEXT && node.tag === tag;
}
